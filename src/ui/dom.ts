/**
 * The page's only way to build DOM: elements with attributes, and text as text nodes. Nothing here parses HTML,
 * so stored content (prompts, completions, tool arguments...) is always shown as the characters it holds.
 */

export type Child = Node | string | number | null | undefined | false | readonly Child[];

type Listener = (event: Event) => void;

export interface Props {
  class?: string | null;
  /** Sets `htmlFor` on a label. */
  for?: string;
  /** Only `#...` routes and http(s) URLs are accepted; anything else (e.g. `javascript:`) leaves no link target. */
  href?: string | null;
  on?: Partial<Record<keyof HTMLElementEventMap, Listener>>;
  /** DOM properties (`value`, `checked`, `disabled`, `hidden`...) rather than attributes. */
  props?: Record<string, unknown>;
  /** Any other attribute, set as a string; `false`, `null` and `undefined` leave it out. */
  [attribute: string]: unknown;
}

/** A URL the page may link to: its own `#` routes, or an http(s) URL. */
export function safeHref(url: string | null | undefined): string | null {
  if (typeof url !== 'string' || url === '') return null;
  if (url.startsWith('#')) return url;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : null;
  } catch {
    return null;
  }
}

function append(parent: Node, child: Child): void {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) {
    for (const item of child as readonly Child[]) append(parent, item);
  } else if (child instanceof Node) {
    parent.appendChild(child);
  } else {
    parent.appendChild(document.createTextNode(String(child)));
  }
}

/** Creates an element. Children that are strings become text nodes. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props) {
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'on') {
        for (const [name, listener] of Object.entries(value as Record<string, Listener>)) element.addEventListener(name, listener);
      } else if (key === 'props') {
        Object.assign(element, value);
      } else if (key === 'for') {
        (element as HTMLLabelElement).htmlFor = String(value);
      } else if (key === 'href') {
        const href = safeHref(String(value));
        if (href) element.setAttribute('href', href);
      } else if (key.startsWith('on')) {
        throw new Error(`Use the "on" property for event listeners, not ${key}`);
      } else {
        element.setAttribute(key, value === true ? '' : String(value));
      }
    }
  }
  for (const child of children) append(element, child);
  return element;
}

/** Replaces an element's children. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  for (const child of children) append(parent, child);
}

/** Finds an element the page's HTML declares, failing loudly when the HTML and the code disagree. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`The page has no #${id}`);
  return element as T;
}

let idCounter = 0;
/** A fresh element id, for pairing labels with inputs. */
export function uniqueId(prefix: string): string {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}
