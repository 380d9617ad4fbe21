#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { printable } from '../server/text.js';
import {
  type HelpRequest,
  parseDemoArgs,
  parseExportArgs,
  parseImportArgs,
  parsePruneArgs,
  parseReplayArgs,
  parseServeArgs,
  UsageError,
} from './args.js';
import { DEMO_HELP, EXPORT_HELP, IMPORT_HELP, MAIN_HELP, PRUNE_HELP, REPLAY_HELP, SERVE_HELP } from './help.js';
import type { CliIO } from './serve.js';

/** Exit codes: 0 done, 1 failed (a message says why), 2 the command line was wrong. */
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

const io: CliIO = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

function version(): string {
  const packageJson = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return packageJson.version;
}

function isHelp(args: object): args is HelpRequest {
  return (args as HelpRequest).help === true;
}

/** Runs one command line; resolves with the exit code. */
async function run(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
      io.err(MAIN_HELP);
      return EXIT_USAGE;
    case '-h':
    case '--help':
    case 'help':
      io.out(MAIN_HELP);
      return 0;
    case '-v':
    case '--version':
      io.out(version());
      return 0;
    case 'serve': {
      const args = parseServeArgs(rest);
      if (isHelp(args)) {
        io.out(SERVE_HELP);
        return 0;
      }
      // Commands load their dependencies (Fastify, the stores, the OTel SDK) only when they run.
      return (await import('./serve.js')).serve(args, io);
    }
    case 'export': {
      const args = parseExportArgs(rest);
      if (isHelp(args)) {
        io.out(EXPORT_HELP);
        return 0;
      }
      return (await import('./transfer.js')).exportRecords(args, io);
    }
    case 'import': {
      const args = parseImportArgs(rest);
      if (isHelp(args)) {
        io.out(IMPORT_HELP);
        return 0;
      }
      return (await import('./transfer.js')).importRecords(args, io);
    }
    case 'demo': {
      const args = parseDemoArgs(rest);
      if (isHelp(args)) {
        io.out(DEMO_HELP);
        return 0;
      }
      return (await import('./demo.js')).demo(args, io);
    }
    case 'replay': {
      const args = parseReplayArgs(rest);
      if (isHelp(args)) {
        io.out(REPLAY_HELP);
        return 0;
      }
      return (await import('./replay.js')).replay(args, io);
    }
    case 'prune': {
      const args = parsePruneArgs(rest);
      if (isHelp(args)) {
        io.out(PRUNE_HELP);
        return 0;
      }
      return (await import('./prune.js')).prune(args, io);
    }
    default:
      throw new UsageError(`unknown command "${command}"; commands: serve, export, import, demo, replay, prune (see: genspan --help)`);
  }
}

/** One line for the user; the stack only with GENSPAN_DEBUG=1, since these are almost always fixable input. */
function report(error: unknown): number {
  const message = error instanceof Error ? error.message : String(error);
  io.err(`genspan: ${printable(message.split('\n', 1)[0])}`);
  if (process.env.GENSPAN_DEBUG && error instanceof Error && error.stack) io.err(error.stack.split('\n').map(printable).join('\n'));
  return error instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE;
}

// A closed pipe (`genspan export | head`) is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
});

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.exitCode = report(error);
  },
);
