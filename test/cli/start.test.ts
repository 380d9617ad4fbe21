import { existsSync, mkdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runNode, tempDir } from '../support/cli.js';

const BUILD_IF_STALE = resolve('scripts/build-if-stale.mjs');

/**
 * A throwaway project laid out like this one, whose `build` script counts its runs and writes the entry point, so
 * the prestart script is exercised as `npm start` runs it (in the project's folder, through `npm run build`).
 */
function project(dir: string): { builds(): number; write(file: string, text: string): void; run(): ReturnType<typeof runNode> } {
  const write = (file: string, text: string): void => {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), text);
  };
  write('package.json', JSON.stringify({ name: 'p', private: true, main: './dist/main.js', scripts: { build: 'node build.mjs' } }));
  write('tsconfig.json', JSON.stringify({ include: ['src'] }));
  write('tsconfig.page.json', JSON.stringify({ include: ['page'] }));
  write('tsconfig.glob.json', JSON.stringify({ include: ['lib/**/*.ts'] }));
  write(
    'build.mjs',
    `import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
     if (existsSync('fail')) process.exit(3);
     mkdirSync('dist', { recursive: true });
     writeFileSync('dist/main.js', '');
     appendFileSync('builds', 'x');`,
  );
  write('src/a.ts', 'export const a = 1;');
  write('src/deep/b.ts', 'export const b = 2;');
  write('page/app.ts', 'export const page = 3;');
  write('lib/x/y.ts', 'export const y = 4;');
  const builds = (): number => (existsSync(join(dir, 'builds')) ? readFileSync(join(dir, 'builds'), 'utf8').length : 0);
  return { builds, write, run: () => runNode(BUILD_IF_STALE, [], { cwd: dir }) };
}

describe('npm start builds only when the sources changed (scripts/build-if-stale.mjs)', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('genspan-start-');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is what npm start runs first; it builds the first time, then not while nothing changed', async () => {
    expect(JSON.parse(readFileSync('package.json', 'utf8')).scripts.prestart).toBe('node scripts/build-if-stale.mjs');
    const p = project(dir);
    expect((await p.run()).code).toBe(0);
    expect(p.builds()).toBe(1);
    const again = await p.run();
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/the build is current/);
    expect(p.builds()).toBe(1);
  });

  it.each([
    [
      'a source is edited, even to the same length and modification time',
      (p: ReturnType<typeof project>) => {
        const file = join(dir, 'src/deep/b.ts');
        const before = statSync(file);
        p.write('src/deep/b.ts', 'export const b = 3;');
        utimesSync(file, before.atime, before.mtime);
      },
    ],
    ['a source is added', (p: ReturnType<typeof project>) => p.write('src/c.ts', 'export const c = 1;')],
    ['a source is removed', () => rmSync(join(dir, 'src/a.ts'))],
    ['a file of the page (another tsconfig) changes', (p: ReturnType<typeof project>) => p.write('page/app.ts', 'export const page = 4;')],
    ['a file under a glob of a tsconfig changes', (p: ReturnType<typeof project>) => p.write('lib/x/y.ts', 'export const y = 5;')],
    ['a tsconfig changes', (p: ReturnType<typeof project>) => p.write('tsconfig.json', JSON.stringify({ include: ['src'], x: 1 }))],
    [
      'package.json changes',
      (p: ReturnType<typeof project>) => p.write('package.json', `${readFileSync(join(dir, 'package.json'), 'utf8')}\n`),
    ],
    ['the entry point is gone', () => rmSync(join(dir, 'dist/main.js'))],
    ['dist/ is gone', () => rmSync(join(dir, 'dist'), { recursive: true })],
  ])('builds again when %s', async (_, change) => {
    const p = project(dir);
    expect((await p.run()).code).toBe(0);
    change(p);
    expect((await p.run()).code).toBe(0);
    expect(p.builds()).toBe(2);
    expect((await p.run()).stdout).toMatch(/the build is current/);
    expect(p.builds()).toBe(2);
  });

  it('a failed build fails the start and is tried again next time', async () => {
    const p = project(dir);
    expect((await p.run()).code).toBe(0);
    p.write('src/a.ts', 'export const a = 2;');
    p.write('fail', '');
    expect((await p.run()).code).toBe(3);
    rmSync(join(dir, 'fail'));
    expect((await p.run()).code).toBe(0);
    expect(p.builds()).toBe(2);
  });
});
