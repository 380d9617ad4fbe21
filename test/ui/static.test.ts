import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONFIGURE_COMMAND } from '../../src/server/playground.js';

const UI = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/ui');

/** Every way for page code to turn a string into HTML or code. */
const PARSES_DATA = new RegExp(
  [
    String.raw`\b(innerHTML|outerHTML|srcdoc|insertAdjacentHTML|createContextualFragment|DOMParser|setHTMLUnsafe|parseHTMLUnsafe)\b`,
    String.raw`\bdocument\s*\.\s*write`,
    String.raw`\beval\s*\(`,
    String.raw`\bnew\s+Function\s*\(`,
  ].join('|'),
);

/** The page's own modules; the list is checked not to be empty by accident (a wrong folder, a renamed extension). */
function pageSources(): { name: string; text: string }[] {
  const names = readdirSync(UI).filter((name) => name.endsWith('.ts'));
  expect(names).toEqual(expect.arrayContaining(['app.ts', 'dom.ts', 'detail.ts', 'editor.ts', 'api.ts']));
  return names.map((name) => ({ name, text: readFileSync(join(UI, name), 'utf8') }));
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
