/** Text for a terminal: what the server log and the CLI write to stderr, which may quote any input. */

/**
 * Whether a terminal would act on the character rather than show it: C0 and C1 controls, DEL, and the
 * bidirectional marks and overrides that reorder the text around them. Messages may quote the input (JSON.parse
 * quotes the bad line, a provider's error its own text), which may be any bytes.
 */
function isTerminalControl(code: number): boolean {
  return (
    code < 0x20 ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x200e ||
    code === 0x200f ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}

/** The text with every terminal control shown as a `\uXXXX` escape, so binary input is never echoed raw. */
export function printable(text: string): string {
  let shown = '';
  for (const char of text) {
    const code = char.charCodeAt(0);
    shown += isTerminalControl(code) ? `\\u${code.toString(16).padStart(4, '0')}` : char;
  }
  return shown;
}
