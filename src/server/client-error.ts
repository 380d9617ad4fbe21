import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';

/** Sent on every answer, so a browser never sniffs JSON that holds stored markup as a page. */
export const NO_SNIFF_HEADER = { name: 'x-content-type-options', value: 'nosniff' } as const;

/** The status of a request Node could not parse or finish reading, as Fastify's own handler chooses it. */
function statusOf(code: string | undefined): { status: number; message: string } {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, message: 'Client Timeout' };
  if (code === 'HPE_HEADER_OVERFLOW') return { status: 431, message: 'Exceeded maximum allowed HTTP header size' };
  return { status: 400, message: 'Client Error' };
}

/**
 * Fastify's `clientErrorHandler`: the answer to a request Node rejects before any route (a malformed request line, headers
 * too large or too slow). Written to the socket directly, so none of the hooks run: it carries `nosniff` itself, like
 * every other answer. Fastify's default, otherwise.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection has no one left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, message } = statusOf(error.code);
  const reason = STATUS_CODES[status] ?? 'Error';
  const body = JSON.stringify({ error: reason, message, statusCode: status });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\n` +
        `${NO_SNIFF_HEADER.name}: ${NO_SNIFF_HEADER.value}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
