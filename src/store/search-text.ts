/** Search text parts are joined with a control character, so a query never matches across two messages. */
const SEARCH_SEPARATOR = '\u001f';

function contentText(content: unknown, into: string[]): void {
  if (typeof content === 'string') {
    into.push(content);
  } else if (Array.isArray(content)) {
    for (const part of content) {
      if (part && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string') {
        into.push((part as { text: string }).text);
      }
    }
  }
}

/** The lowercased prompt, completion and message text a `q` filter searches. */
export function searchText(generation: Record<string, unknown>): string {
  const parts: string[] = [];
  contentText(generation.prompt, parts);
  contentText(generation.completion, parts);
  if (Array.isArray(generation.messages)) {
    for (const message of generation.messages) {
      if (message && typeof message === 'object') contentText((message as { content?: unknown }).content, parts);
    }
  }
  const completion = generation.messageCompletion;
  if (completion && typeof completion === 'object') contentText((completion as { content?: unknown }).content, parts);
  return parts.join(SEARCH_SEPARATOR).toLowerCase();
}
