import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONFIGURE_COMMAND, pageModules } from '../../src/server/playground.js';
import { requireBuild } from '../support/cli.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const UI = join(ROOT, 'src/ui');

/** Every way for page code to turn a string into HTML or code. */
const PARSES_DATA = new RegExp(
  [
    String.raw`\b(innerHTML|outerHTML|srcdoc|insertAdjacentHTML|createContextualFragment|DOMParser|setHTMLUnsafe|parseHTMLUnsafe)\b`,
    String.raw`\bdocument\s*\.\s*write`,
    String.raw`\beval\s*\(`,
    String.raw`\bnew\s+Function\s*\(`,
  ].join('|'),
);

/**
 * The sources of every module the server serves to the page (`pageModules`, which follows the compiled imports from
 * `dist/src/ui` into `src/generation`); the list is checked not to be empty by accident, and to reach nothing outside
 * the page folders.
 */
function pageSources(): { name: string; text: string }[] {
  requireBuild(join(ROOT, 'dist/src/ui/app.js'));
  const { served, outside } = pageModules(join(ROOT, 'dist/src'));
  expect(outside).toEqual([]);
  expect(served).toEqual(expect.arrayContaining(['ui/app.js', 'ui/editor.js', 'generation/cost-format.js', 'generation/template.js']));
  // Every page module is served, so none escapes the scan.
  const uiSources = readdirSync(UI).filter((name) => name.endsWith('.ts'));
  expect(served).toEqual(expect.arrayContaining(uiSources.map((name) => `ui/${name.replace(/\.ts$/, '.js')}`)));
  return served.map((name) => ({ name, text: readFileSync(join(ROOT, 'src', name.replace(/\.js$/, '.ts')), 'utf8') }));
}

/** What in an HTML page runs code written in the page itself: inline scripts, event handler attributes, javascript: URLs. */
function inlineCode(html: string): string[] {
  const found: string[] = [];
  for (const [element, attributes, body] of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi)) {
    if (!/\ssrc="\/ui\/[a-z-]+\.js"/.test(attributes) || body.trim() !== '') found.push(element);
  }
  for (const [handler] of html.matchAll(/\son[a-z]+\s*=/gi)) found.push(handler.trim());
  for (const [url] of html.matchAll(/javascript:/gi)) found.push(url);
  return found;
}

describe('the page source', () => {
  it('never parses HTML from data: no innerHTML, outerHTML, insertAdjacentHTML, document.write or eval', () => {
    for (const { name, text } of pageSources()) expect(text, name).not.toMatch(PARSES_DATA);
  });

  it('the served-module walk names an import reaching past the page folders, and serves only the page folders', () => {
    const root = mkdtempSync(join(tmpdir(), 'genspan-page-'));
    try {
      mkdirSync(join(root, 'ui'));
      mkdirSync(join(root, 'generation'));
      mkdirSync(join(root, 'store'));
      writeFileSync(join(root, 'ui/app.js'), "import { a } from '../generation/a.js';\nimport('./lazy.js');");
      writeFileSync(join(root, 'ui/lazy.js'), '');
      writeFileSync(join(root, 'generation/a.js'), "export { b } from '../store/b.js';");
      writeFileSync(join(root, 'store/b.js'), '');
      expect(pageModules(root)).toEqual({ served: ['generation/a.js', 'ui/app.js', 'ui/lazy.js'], outside: ['store/b.js'] });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('the forbidden list catches each construct it names, and not its harmless neighbours', () => {
    const forbidden = [
      'el.innerHTML = text;',
      'el.outerHTML = text;',
      'frame.srcdoc = text;',
      "el.insertAdjacentHTML('beforeend', text);",
      'range.createContextualFragment(text);',
      "new DOMParser().parseFromString(text, 'text/html');",
      'el.setHTMLUnsafe(text);',
      'Document.parseHTMLUnsafe(text);',
      'document.write(text);',
      'document.writeln(text);',
      'eval(text);',
      'eval (text);',
      "new Function('return 1');",
    ];
    for (const sample of forbidden) expect(sample).toMatch(PARSES_DATA);
    for (const harmless of ['el.textContent = text;', 'page.evaluate(fn);', 'const medieval = 1;', 'el.innerText = text;']) {
      expect(harmless).not.toMatch(PARSES_DATA);
    }
  });

  it('takes how to configure a provider from the server, not from a copy of its own', () => {
    // What a copy would hold: the server's command names the option.
    expect(CONFIGURE_COMMAND).toContain('--provider-url');
    for (const { name, text } of pageSources()) expect(text, name).not.toContain('--provider-url');
  });

  it('has no inline script or inline event handler in index.html', () => {
    const html = readFileSync(join(UI, 'index.html'), 'utf8');
    expect([...html.matchAll(/<script\b/gi)]).toHaveLength(1);
    expect(html).toContain('<script type="module" src="/ui/app.js"></script>');
    expect(inlineCode(html)).toEqual([]);
  });

  it('the inline-code check finds each kind of inline code', () => {
    expect(inlineCode('<script>window.x = 1</script>')).toHaveLength(1);
    expect(inlineCode('<script type="module">\n  start();\n</script>')).toHaveLength(1);
    expect(inlineCode('<SCRIPT>x()</SCRIPT>')).toHaveLength(1);
    expect(inlineCode('<script src="/ui/app.js">x()</script>')).toHaveLength(1);
    expect(inlineCode('<script src="https://cdn.example/app.js"></script>')).toHaveLength(1);
    expect(inlineCode('<button onclick="go()">Go</button>')).toEqual(['onclick=']);
    expect(inlineCode('<img src=x ONERROR = "go()">')).toEqual(['ONERROR =']);
    expect(inlineCode('<a href="javascript:go()">Go</a>')).toEqual(['javascript:']);
    expect(inlineCode('<script type="module" src="/ui/app.js"></script>')).toEqual([]);
  });
});
