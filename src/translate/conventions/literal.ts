import { LiteralProperties } from '../../semconv/keys.js';
import { gather, type TranslationContext } from '../draft.js';
import { type Attributes, isRecord, jsonValue, stringValue } from '../read.js';

/** The Literal properties that are generation fields; the others (thread, parent, run, name) are the step's. */
const GENERATION_PROPERTIES: ReadonlySet<string> = new Set([LiteralProperties.TAGS, LiteralProperties.METADATA, LiteralProperties.PROMPT]);

/** Whether an association property (`literal.tags`...) is read as a generation field rather than kept in metadata. */
export function isLiteralGenerationProperty(associationName: string): boolean {
  return (
    associationName.startsWith(LiteralProperties.PREFIX) &&
    GENERATION_PROPERTIES.has(associationName.slice(LiteralProperties.PREFIX.length))
  );
}

/** The two keys of each property read here, built once: this reader runs for every LLM span. */
const KEYS_OF: ReadonlyMap<string, readonly string[]> = new Map(
  [...GENERATION_PROPERTIES].map((name) => [name, [LiteralProperties.ASSOCIATION_PREFIX + name, LiteralProperties.PREFIX + name]]),
);

/** A Literal property's value and the key it came from; the association property wins over the bare key. */
function property(attributes: Attributes, name: string): { key: string; value: unknown } | undefined {
  for (const key of KEYS_OF.get(name) ?? []) {
    const value = attributes[key];
    if (value !== undefined && value !== null && value !== '' && value !== LiteralProperties.UNSET) return { key, value };
  }
  return undefined;
}

function tagsFrom(value: unknown, label: string, warnings: string[]): string[] | undefined {
  const parsed = typeof value === 'string' && value.startsWith('[') ? jsonValue(value, label, warnings) : value;
  if (typeof parsed === 'string') return [parsed];
  if (Array.isArray(parsed) && parsed.every((tag) => typeof tag === 'string')) return parsed;
  warnings.push(`${label}: not a list of strings, not read`);
  return undefined;
}

/**
 * Literal AI's span properties (span-conventions.md, OpenLLMetry association properties): tags are added to the
 * generation's, metadata gathered into its metadata, and the prompt gives its prompt id and (when the generation has
 * none) its variables.
 */
export function readLiteralProperties(context: TranslationContext): void {
  const { attributes, warnings, draft } = context;
  const tags = property(attributes, LiteralProperties.TAGS);
  if (tags) {
    const read = tagsFrom(tags.value, tags.key, warnings);
    if (read) draft.tags = [...new Set([...(draft.tags ?? []), ...read])];
  }
  const metadata = property(attributes, LiteralProperties.METADATA);
  if (metadata) {
    const read = jsonValue(metadata.value, metadata.key, warnings);
    if (isRecord(read)) gather(draft.metadata, read, metadata.key, warnings);
    else if (read !== undefined) warnings.push(`${metadata.key}: not a JSON object, not read`);
  }
  const prompt = property(attributes, LiteralProperties.PROMPT);
  if (prompt) {
    const read = jsonValue(prompt.value, prompt.key, warnings);
    if (isRecord(read)) {
      draft.promptId ??= stringValue(read.id, `${prompt.key}.id`, warnings);
      if (isRecord(read.variables)) draft.variables ??= read.variables;
    } else if (read !== undefined) warnings.push(`${prompt.key}: not a JSON object, not read`);
  }
}

/** The association properties OpenLLMetry's reader keeps in metadata: all but those read as generation fields. */
export function associationMetadata(properties: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!properties) return undefined;
  const kept: Record<string, unknown> = {};
  for (const name of Object.keys(properties)) if (!isLiteralGenerationProperty(name)) kept[name] = properties[name];
  return kept;
}
