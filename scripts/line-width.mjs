// Biome's formatter keeps code within `formatter.lineWidth` but leaves comments and long strings as written:
// this lists every line of the tracked sources that is still wider, so `npm run lint` holds the whole tree to it.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const width = JSON.parse(readFileSync('biome.json', 'utf8')).formatter.lineWidth;
const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts', '*.js', '*.mjs', '*.css', '*.html'], {
  encoding: 'utf8',
})
  .split('\n')
  .filter(Boolean);
const wide = [];
for (const file of files) {
  const lines = readFileSync(file, 'utf8').split('\n');
  for (const [index, line] of lines.entries()) if ([...line].length > width) wide.push(`${file}:${index + 1}: ${[...line].length} columns`);
}
if (wide.length > 0) {
  console.error(`${wide.length} lines are wider than biome.json's lineWidth (${width}):\n${wide.join('\n')}`);
  process.exitCode = 1;
} else {
  console.log(`line width: every line of ${files.length} files is within ${width} columns`);
}
