import { diag } from '@opentelemetry/api';

/** Logs through the OpenTelemetry diagnostic logger; a throwing logger must not break an export. */
export function report(level: 'error' | 'warn' | 'info' | 'debug', message: string): void {
  try {
    diag[level](message);
  } catch {
    // Nothing left to tell it with.
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
