/**
 * `npm run bench`: runs every compiled `*.bench.js` beside this file, in name order, one after the other, each in a
 * process of its own, so no benchmark measures with the heap or the compiled code another one left behind. Each
 * prints its figures and ratios measured side by side in the same run. `npm run bench -- translate` runs one, by its
 * exact name (`large` is not `large-search`).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const ONE_FLAG = '--one';
const SUFFIX = '.bench.js';

if (process.argv[2] === ONE_FLAG) {
  const module = (await import(pathToFileURL(join(here, process.argv[3])).href)) as { default: () => Promise<void> };
  await module.default();
} else {
  const names = readdirSync(here)
    .filter((file) => file.endsWith(SUFFIX))
    .map((file) => file.slice(0, -SUFFIX.length))
    .sort();
  const only = process.argv.slice(2);
  const unknown = only.filter((name) => !names.includes(name));
  if (unknown.length > 0) {
    console.error(`no benchmark named ${unknown.join(', ')}; there are: ${names.join(', ')}`);
    process.exit(2);
  }
  console.log(`genspan benchmarks: node ${process.version}, ${process.platform}/${process.arch}`);
  let failed = 0;
  for (const name of only.length === 0 ? names : names.filter((each) => only.includes(each))) {
    console.log(`\n== ${name} ==`);
    const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ONE_FLAG, `${name}${SUFFIX}`], { stdio: 'inherit' });
    if (run.status !== 0) failed++;
  }
  if (failed > 0) process.exitCode = 1;
}
