import { MAX_EXPERIMENT_SOURCES } from '../generation/experiment.js';
import { MAX_VARIANTS } from '../generation/variant.js';
import { DEFAULT_EXPERIMENT_CONCURRENCY, DEFAULT_GRPC_PORT, DEFAULT_HOST, DEFAULT_LOG_LEVEL, DEFAULT_PORT } from '../server/defaults.js';
import { LOG_LEVELS } from '../server/log.js';
import { DEFAULT_DATABASE_PATH } from '../store/defaults.js';
import { DEFAULT_DEMO_ENDPOINT } from './args.js';

export const MAIN_HELP = `genspan: Chainlit-style generations on OpenTelemetry

Usage: genspan <command> [options]

Commands:
  serve    receive OTLP spans and logs (HTTP, gRPC), store their generations, serve the REST API and the playground
  export   write everything stored as JSON Lines (genspan's, or Literal AI's dictionaries)
  import   read genspan JSON Lines, or Literal AI / Chainlit data, into a store
  demo     send the example's steps to a running genspan serve
  replay   replay stored generations through candidate models and prompts on a running genspan serve (for CI)
  prune    delete the oldest generations (with their steps, spans and logs) by age or size, once

Run genspan <command> --help for a command's options.
`;

export const SERVE_HELP = `Usage: genspan serve [options]

Receives OTLP/HTTP (POST /v1/traces, /v1/logs; protobuf or JSON, optionally gzip) and OTLP/gRPC (TraceService and
LogsService Export; optionally gzip), keeps the generations of LLM spans, and serves GET /api/generations,
/api/generations/:id, /api/generations.jsonl, /healthz and the playground at /.

Options:
  --host HOST              address to listen on (default ${DEFAULT_HOST}); other than loopback needs --token or --insecure
  -p, --port PORT          port (default ${DEFAULT_PORT}; 0 picks a free one)
  --grpc-port PORT|off     OTLP/gRPC port on the same host (default ${DEFAULT_GRPC_PORT}; 0 picks a free one; off: none)
  --db FILE                SQLite database file (default ${DEFAULT_DATABASE_PATH})
  --postgres URL           store in PostgreSQL instead, e.g. postgres://user:password@host:5432/genspan
  --max-body SIZE          largest request body or gRPC message, before and after gzip (default 64MiB; e.g. 16MiB)
  --max-items N            most spans, events, log records and attribute values in one request (default 100000); past
                           it 413, or RESOURCE_EXHAUSTED over gRPC
  --headers-timeout SECS   a connection's request headers must arrive within this (default 60), else it is closed
  --body-timeout SECS      an OTLP request's body must arrive within this (default 60), else 408 and the connection closed
                           (a gRPC message: else DEADLINE_EXCEEDED)
  --body-min-rate SIZE     ...and at least this much per second on average after its first 5 s (default 1KiB)
  --token TOKEN            require Authorization: Bearer TOKEN on every request, gRPC metadata too (default: $GENSPAN_TOKEN)
  --insecure               allow a non-loopback --host without a token
  --jaeger-url URL         Jaeger UI base URL; each generation then links to its trace
  --provider NAME=URL      an OpenAI-compatible API base URL for playground re-runs, by name (repeatable)
  --provider-key-env NAME=VARIABLE
                           environment variable holding that provider's API key (repeatable)
  --providers FILE         providers from a JSON file: {"providers": [{"name", "url", "keyEnv", "timeoutSeconds"}]}
  --provider-url URL       a provider named openai (the default name); its key variable: --provider-key-env VARIABLE
  --prices FILE            JSON price table merged over genspan's own, model by model (USD per million tokens)
  --experiment-concurrency N
                           calls one provider gets at once from all experiments together (default ${DEFAULT_EXPERIMENT_CONCURRENCY})
  --log-level LEVEL        ${LOG_LEVELS.join(', ')} (default ${DEFAULT_LOG_LEVEL}): the least severe lines logged
  --keep-spans ai|all      steps kept of a trace with AI work: its AI spans and their ancestors (ai, the default), or
                           every span (all); traces without AI work are never stored
  --retain DURATION        delete data older than this (e.g. 30d, 12h; units s, m, h, d, w), at start and every minute
  --max-size SIZE          delete the oldest data while the store is larger than this (e.g. 5GB, 500MB; powers of 1024)
  -h, --help               show this help

Logs one line per event on stderr: <time> <LEVEL> [<request id>] <message>. error: what needs someone (a store that
cannot work, an unexpected error); warn: what may pass (the store busy, a provider's error on a re-run); info: also
start, stop and each refused or failed request; debug: also every answered request, and why one was refused.

Stops cleanly on Ctrl-C (SIGINT) or SIGTERM, after the requests in flight are written.
`;

export const PRUNE_HELP = `Usage: genspan prune [--retain DURATION] [--max-size SIZE] [--vacuum] [--db FILE | --postgres URL]

Deletes the oldest traces with their steps, generations, kept spans and log records (and threads left without a
trace), as genspan serve --retain / --max-size does every minute, in small batches beside running writers; then
prints what it deleted. Experiments and their results are kept.

Options:
  --retain DURATION    delete data older than this (e.g. 30d, 12h; units s, m, h, d, w)
  --max-size SIZE      delete the oldest data until the store is within this (e.g. 5GB, 500MB; powers of 1024)
  --vacuum             then compact the whole store (SQLite: VACUUM, which also makes an older file give space back
                       from now on; it rewrites the file and holds writers off meanwhile. PostgreSQL: VACUUM)
  --db FILE            SQLite database (default ${DEFAULT_DATABASE_PATH}); it must exist
  --postgres URL       PostgreSQL instead
  -h, --help           show this help
`;

export const EXPORT_HELP = `Usage: genspan export [--format jsonl|literal] [--db FILE | --postgres URL] [--output FILE]

Writes everything stored as JSON Lines: generation records (oldest first), then steps and trace threads. Progress goes
to stderr on a terminal.

Options:
  --format jsonl       genspan's JSON Lines (the default), for genspan import
  --format literal     Literal AI dictionaries, one a line: a thread dictionary per thread, a step dictionary per step
                       (with its generation, threadId, parentId and rootRunId); genspan import reads them back
  --db FILE            SQLite database to read (default ${DEFAULT_DATABASE_PATH}); it must exist
  --postgres URL       read from PostgreSQL instead
  -o, --output FILE    write to FILE instead of standard output
  -h, --help           show this help
`;

export const IMPORT_HELP = `Usage: genspan import FILE [--db FILE | --postgres URL] [--prices FILE]

Reads FILE (or - for standard input) into a store; its format is told from its first line:
  - genspan's JSON Lines, as genspan export writes them (read as a stream);
  - Literal AI thread or step dictionaries, or Chainlit Step.to_dict() dictionaries: a JSON array, one JSON object,
    {"data": [...]}, or JSON Lines (read whole). Their step ids are kept; trace and span ids are derived from them.
Records already there (same trace and span id) are left as they are, so importing twice is harmless. A bad line stops
the import; the batches of 500 before it stay stored, and the message says how many. A record without a cost gets one
from its tokens when its model has a price.

Options:
  --db FILE            SQLite database to write (default ${DEFAULT_DATABASE_PATH}; created when missing)
  --postgres URL       write to PostgreSQL instead
  --prices FILE        JSON price table merged over genspan's own, for records without a cost
  -h, --help           show this help
`;

export const DEMO_HELP = `Usage: genspan demo [--endpoint URL] [--token TOKEN]

Runs the example's steps (a completion and a chat generation from a fake LLM) and sends their spans with the
OpenTelemetry OTLP/HTTP exporter to a running genspan serve, then shows what it stored.

Options:
  --endpoint URL       base URL of genspan serve (default ${DEFAULT_DEMO_ENDPOINT})
  --token TOKEN        the server's token (default: $GENSPAN_TOKEN)
  -h, --help           show this help
`;

export const REPLAY_HELP = `Usage: genspan replay --variant KEY=VALUE,... [--variant ...] [filters | --ids ID,...] [options]

Replays stored generations (chosen by the list's filters, or by ids) through one or more variants as an experiment
on a running genspan serve, which stores it and each result (linked to its source). Progress goes to stderr on a
terminal; a summary row per variant goes to stdout: results, errors, tokens, cost, latency p50/p95, the share of
outputs identical to the original's and, when the variant sets a response format, of valid JSON.

Variants (1 to ${MAX_VARIANTS}):
  --variant provider=NAME,model=MODEL[,template=FILE][,SETTING=VALUE...]
                       provider: a name the server was started with (default openai); template: a text template,
                       or a JSON array of messages; any other key is a setting (temperature=0.2, max_tokens=256),
                       its value read as JSON when it is JSON

Sources (without any: every stored generation, at most ${MAX_EXPERIMENT_SOURCES}):
  --ids ID,...         these generations
  --traceId ID  --service NAME  --model MODEL  --provider NAME  --tag TAG  --source SOURCE  --error
  --from TIME  --to TIME  --q TEXT  --minCost USD  --maxCost USD
                       the list's filters, as GET /api/generations names them
  --limit N            the newest N matches (at most ${MAX_EXPERIMENT_SOURCES})

Options:
  --endpoint URL       base URL of genspan serve (default ${DEFAULT_DEMO_ENDPOINT})
  --token TOKEN        the server's token (default: $GENSPAN_TOKEN)
  --name NAME          the experiment's name
  --concurrency N      calls this experiment makes at once (within the server's --experiment-concurrency per provider)
  --json               print the experiment as GET /api/experiments/:id returns it, instead of the table
  --fail-on-diff       exit 1 also when an output differs from its original's
  -h, --help           show this help

Exit codes: 0 every result ran; 1 a result has an error, the experiment failed or was cancelled (Ctrl-C cancels
it), or with --fail-on-diff an output differs; 2 the command line or the request was refused.
`;
