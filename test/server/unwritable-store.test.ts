import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SpanKind } from '@opentelemetry/api';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite.js';
import { type CliServer, requireBuild, runNode, startCliServer, tempDir } from '../support/cli.js';
import { captureExportBody } from '../support/otlp-bodies.js';
import { type PostgresServer, startPostgres } from '../support/postgres.js';
import { makeSpans } from '../support/sdk-spans.js';

const dir = tempDir();

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** An OTLP body holding one chat generation, unique per call so each one is a new record to write. */
async function generationBody(name: string): Promise<Buffer> {
  const spans = await makeSpans([
    {
      name: `chat ${name}`,
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: name }] }]),
      },
    },
  ]);
  return captureExportBody(spans, 'protobuf');
}

async function postSpans(url: string, body: Buffer): Promise<number> {
  const response = await fetch(`${url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf' },
    body: new Uint8Array(body),
  });
  await response.arrayBuffer();
  return response.status;
}

async function healthz(url: string): Promise<{ status: number; body: { status: string; message?: string } }> {
  const response = await fetch(`${url}/healthz`);
  return { status: response.status, body: (await response.json()) as { status: string; message?: string } };
}

/**
 * Tests run as root, whom file modes do not stop; the immutable attribute stops root too, and SQLite then opens the
 * file read-only without a word, as it does on a read-only mount (which cannot be made here).
 */
function immutableSupported(): boolean {
  const probe = join(dir, 'probe');
  writeFileSync(probe, '');
  try {
    execFileSync('chattr', ['+i', probe], { stdio: 'ignore' });
    execFileSync('chattr', ['-i', probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('a store that cannot be written', () => {
  it.runIf(immutableSupported())(
    'genspan serve refuses to start on an SQLite file it can only read',
    async () => {
      const path = join(dir, 'immutable.db');
      await new SqliteStore({ path }).close();
      execFileSync('chattr', ['+i', path]);
      try {
        const result = await runNode(requireBuild(), ['serve', '--port', '0', '--db', path], { timeoutMs: 20_000 });
        expect(result.code).not.toBe(0);
        expect(result.stdout).not.toMatch(/listening on/);
        expect(result.stderr).toMatch(new RegExp(`genspan: SQLite database ${path} cannot be written: SQLite can only open it read-only`));
      } finally {
        execFileSync('chattr', ['-i', path]);
      }
    },
    30_000,
  );

  describe('on PostgreSQL', () => {
    let postgres: PostgresServer;
    let admin: pg.Client;
    let server: CliServer | undefined;

    beforeAll(async () => {
      postgres = await startPostgres();
    }, 90_000);

    afterAll(async () => {
      expect(await server?.stop('SIGINT')).toBe(0);
      await admin?.end();
      await postgres?.destroy();
    });

    it('/healthz says 503 with the reason once writes fail for good, and 200 again once one succeeds', async () => {
      // A role that owns its database but is no superuser, so revoking its privilege takes effect.
      const databaseUrl = new URL(await postgres.createDatabase('unwritable'));
      const database = databaseUrl.pathname.slice(1);
      admin = new pg.Client({ connectionString: databaseUrl.href });
      await admin.connect();
      await admin.query('CREATE ROLE genspan_writer LOGIN');
      await admin.query(`ALTER DATABASE "${database}" OWNER TO genspan_writer`);
      const writerUrl = new URL(databaseUrl.href);
      writerUrl.username = 'genspan_writer';
      writerUrl.password = '';
      server = await startCliServer(['--postgres', writerUrl.href]);

      expect(await postSpans(server.url, await generationBody('before'))).toBe(200);
      expect(await healthz(server.url)).toEqual({ status: 200, body: { status: 'ok' } });

      await admin.query('REVOKE INSERT ON ALL TABLES IN SCHEMA public FROM genspan_writer');
      expect(await postSpans(server.url, await generationBody('revoked'))).toBe(500);
      const failing = await healthz(server.url);
      expect(failing.status).toBe(503);
      expect(failing.body.status).toBe('unwritable');
      expect(failing.body.message).toMatch(/^the store has refused every write since \S+: PostgreSQL at .* permission denied/);

      await admin.query('GRANT INSERT ON ALL TABLES IN SCHEMA public TO genspan_writer');
      expect(await postSpans(server.url, await generationBody('granted'))).toBe(200);
      expect(await healthz(server.url)).toEqual({ status: 200, body: { status: 'ok' } });
    }, 60_000);
  });
});
