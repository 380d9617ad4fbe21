import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const UI = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/ui');

describe('the page source', () => {
  it('never parses HTML from data: no innerHTML, outerHTML, insertAdjacentHTML, document.write or eval', () => {
    const sources = readdirSync(UI).filter((name) => name.endsWith('.ts'));
    expect(sources.length).toBeGreaterThan(3);
    for (const name of sources) {
      const text = readFileSync(join(UI, name), 'utf8');
      expect(text, name).not.toMatch(
        /\b(innerHTML|outerHTML|srcdoc)\b|insertAdjacentHTML|document\.write|\beval\(|new Function\(|createContextualFragment/,
      );
    }
  });

  it('takes how to configure a provider from the server, not from a copy of its own', () => {
    for (const name of readdirSync(UI).filter((file) => file.endsWith('.ts'))) {
      expect(readFileSync(join(UI, name), 'utf8'), name).not.toContain('--provider-url');
    }
  });

  it('has no inline script or inline event handler in index.html', () => {
    const html = readFileSync(join(UI, 'index.html'), 'utf8');
    for (const [tag] of html.matchAll(/<script\b[^>]*>/g)) expect(tag).toMatch(/\bsrc="\/ui\/[a-z-]+\.js"/);
    expect(html).not.toMatch(/<script\b[^>]*>[^<\s]/);
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
    expect(html).not.toMatch(/javascript:/i);
  });
});
