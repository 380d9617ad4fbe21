/**
 * `npm run bench`: runs every compiled `*.bench.js` beside this file, in name order, one after the other, each in a
 * process of its own, so no benchmark measures with the heap or the compiled code another one left behind. Each
 * prints its figures and ratios measured side by side in the same run. `npm run bench -- translate` runs one.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const ONE_FLAG = '--one';

if (process.argv[2] === ONE_FLAG) {
  const module = (await import(pathToFileURL(join(here, process.argv[3])).href)) as { default: () => Promise<void> };
  await module.default();
} else {
  const only = process.argv.slice(2);
  const files = readdirSync(here)
    .filter((file) => file.endsWith('.bench.js'))
    .filter((file) => only.length === 0 || only.some((name) => file.startsWith(name)))
    .sort();
  console.log(`genspan benchmarks: node ${process.version}, ${process.platform}/${process.arch}`);
  let failed = 0;
  for (const file of files) {
    console.log(`\n== ${file.replace(/\.bench\.js$/, '')} ==`);
    const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ONE_FLAG, file], { stdio: 'inherit' });
    if (run.status !== 0) failed++;
  }
  if (failed > 0) process.exitCode = 1;
}
