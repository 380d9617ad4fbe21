import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SRC = join(ROOT, 'src');

/**
 * The layers of `src/`, from the bottom. A file imports only from its own folder or from a lower layer; folders on
 * one layer (store and otlp, export and server) do not import each other. The page (`ui`) sits beside the server and
 * imports only the model: `generation`.
 */
const LAYERS: Record<string, number> = {
  generation: 0,
  semconv: 1,
  translate: 2,
  step: 2,
  ingest: 3,
  store: 4,
  otlp: 4,
  export: 5,
  server: 5,
  cli: 6,
};
const PAGE = 'ui';
const PAGE_MAY_IMPORT = new Set(['generation']);

interface Import {
  file: string;
  target: string;
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|js|mjs)$/.test(entry.name) ? [path] : [];
  });
}

/** The relative imports of a source text, resolved to paths under the repository root (`src/store/types.ts`). */
function importsOf(file: string, text: string): Import[] {
  const imports: Import[] = [];
  for (const match of text.matchAll(IMPORT)) {
    const specifier = match[1] ?? match[2];
    if (!specifier.startsWith('.')) continue;
    const target = posix.normalize(posix.join(posix.dirname(file), specifier));
    imports.push({ file, target });
  }
  return imports;
}

/** The folder of `src/` a path is in (`store`), `.` for `src/index.ts`, or null outside `src/`. */
function folderOf(path: string): string | null {
  const parts = path.split('/');
  if (parts[0] !== 'src') return null;
  return parts.length === 2 ? '.' : parts[1];
}

/** Why an import breaks the layering, or null when it keeps it. */
function violation({ file, target }: Import): string | null {
  const from = folderOf(file);
  const to = folderOf(target);
  if (to === null) return `${file} imports ${target}, outside src/`;
  if (from === '.' || from === to) return null;
  if (from === null) return null;
  if (to === '.') return `${file} imports the package entry point ${target}`;
  if (from === PAGE) return PAGE_MAY_IMPORT.has(to) ? null : `the page's ${file} imports ${target}`;
  if (to === PAGE) return `${file} imports the page's ${target}`;
  const fromLayer = LAYERS[from];
  const toLayer = LAYERS[to];
  if (toLayer < fromLayer) return null;
  return `${file} (${from}, layer ${fromLayer}) imports ${target} (${to}, layer ${toLayer})`;
}

function repositoryImports(): Import[] {
  return sourceFiles(SRC).flatMap((path) => importsOf(relative(ROOT, path).split('\\').join('/'), readFileSync(path, 'utf8')));
}

describe('the import graph of src/', () => {
  it('follows the layers: generation, semconv, translate and step, ingest, store and otlp, export and server, cli; ui on the model', () => {
    const imports = repositoryImports();
    expect(imports.length).toBeGreaterThan(200);
    expect(imports.map(violation).filter((problem) => problem !== null)).toEqual([]);
  });

  it('has a layer for every folder of src/', () => {
    const folders = readdirSync(SRC, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
    expect(folders.filter((folder) => folder !== PAGE && !(folder in LAYERS))).toEqual([]);
  });

  it('catches an import upwards, sideways, into the page, out of src/, and from the page beyond the model', () => {
    const cases: [string, string][] = [
      ['src/store/sqlite.ts', "import { x } from '../server/api.js';"],
      ['src/store/sqlite.ts', "import type { Y } from '../otlp/types.js';"],
      ['src/server/rerun.ts', "import { t } from '../ui/template.js';"],
      ['src/cli/demo.ts', "import { run } from '../../examples/seed-example.js';"],
      ['src/ui/api.ts', "import type { Z } from '../server/api.js';"],
      ['src/generation/record.ts', "export { s } from '../translate/types.js';"],
      ['src/translate/translate.ts', "const m = await import('../ingest/ingest.js');"],
    ];
    for (const [file, text] of cases) {
      const found = importsOf(file, text);
      expect(found, text).toHaveLength(1);
      expect(violation(found[0]), `${file}: ${text}`).not.toBeNull();
    }
    expect(violation(importsOf('src/server/rerun.ts', "import { step } from '../step/step.js';")[0])).toBeNull();
    expect(violation(importsOf('src/ui/detail.ts', "import { t } from '../generation/template.js';")[0])).toBeNull();
  });
});
