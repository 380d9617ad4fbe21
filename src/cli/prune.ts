import { describeReport, runRetention } from '../store/retention.js';
import type { PruneArgs } from './args.js';
import type { CliIO } from './serve.js';
import { openStore } from './stores.js';

/** `genspan prune`: one retention run (and a VACUUM with `--vacuum`), printing what it deleted. */
export async function prune(args: PruneArgs, io: CliIO): Promise<number> {
  const { store, description } = await openStore(args.store, { mustExist: true, writable: true });
  try {
    // Runs until done: each run is bounded in time, as the server's are.
    for (;;) {
      const report = await runRetention(store, args.retention);
      io.out(`genspan prune: ${description}: ${describeReport(report)}`);
      if (report.complete) break;
    }
    if (args.vacuum) {
      await store.vacuum();
      io.out(`genspan prune: ${description}: vacuumed`);
    }
  } finally {
    await store.close();
  }
  return 0;
}
