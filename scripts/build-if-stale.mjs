// `npm start`'s prestart: runs `npm run build` unless dist/ was built from exactly the sources there are now, so a
// start on a current build takes well under a second instead of a full compile. The sources are compared by content
// (one hash over every file the tsconfig*.json files include, the configs and the package files), so an edit, a
// checkout or a deleted file rebuilds whatever the files' times say. `npm run build` always builds.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, sep } from 'node:path';

/** Where the hash of the sources dist/ was built from is kept: inside dist/, so removing dist/ forgets it. */
const STAMP = join('dist', '.build-inputs');
const PACKAGE_FILES = ['package.json', 'package-lock.json'];

/** Every file an `include` entry may name: a file, or all of a folder (a glob's, up to its first wildcard). */
function filesUnder(include) {
  const parts = include.split('/');
  const wildcard = parts.findIndex((part) => /[*?]/.test(part));
  const path = (wildcard === -1 ? parts : parts.slice(0, wildcard)).join('/') || '.';
  if (!existsSync(path)) return [];
  if (statSync(path).isFile()) return [path];
  const entries = readdirSync(path, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && !entry.parentPath.split(sep).includes('node_modules'))
    .map((entry) => join(entry.parentPath, entry.name));
}

function sourcesHash() {
  const configs = readdirSync('.').filter((name) => /^tsconfig.*\.json$/.test(name));
  const folders = new Set(configs.flatMap((name) => JSON.parse(readFileSync(name, 'utf8')).include ?? []));
  const files = [...configs, ...PACKAGE_FILES.filter((name) => existsSync(name)), ...[...folders].flatMap(filesUnder)].sort();
  const hash = createHash('sha256');
  for (const file of files) hash.update(`${file}\0`).update(readFileSync(file)).update('\0');
  return hash.digest('hex');
}

/** The package's entry points: a build that lost one is not current, whatever the stamp says. */
function entryPoints() {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
  const bins = typeof pkg.bin === 'string' ? [pkg.bin] : Object.values(pkg.bin ?? {});
  return [pkg.main, ...bins].filter((file) => typeof file === 'string');
}

const hash = sourcesHash();
const current = existsSync(STAMP) && readFileSync(STAMP, 'utf8') === hash && entryPoints().every((file) => existsSync(file));
if (current) {
  console.log('genspan: the build is current (dist/ was built from these sources), not rebuilding');
} else {
  const build = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
  // The hash taken before the build: a file changed while it ran makes the next start build again.
  writeFileSync(STAMP, hash);
}
