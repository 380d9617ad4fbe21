/**
 * Variants of a generation: what the playground runs side by side. A variant is an edited generation (model, settings,
 * template and variables or messages, tools, response format) and the provider it goes to. Browser-safe and pure.
 */

/** How many variants of one generation run at once, side by side. */
export const MAX_VARIANTS = 6;

/** The name OpenAI requires of a JSON schema response format, when the schema is given without one. */
const DEFAULT_SCHEMA_NAME = 'response';

type Settings = Readonly<Record<string, unknown>>;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The JSON schema response format of settings, as OpenAI's `json_schema` member (`{ name, schema, strict? }`), and the
 * other settings; null when they set none, or another kind of response format (which stays with the other settings).
 */
export function splitResponseFormat(settings: Settings): { jsonSchema: Record<string, unknown> | null; rest: Record<string, unknown> } {
  const { response_format: format, ...rest } = settings;
  if (isObject(format) && format.type === 'json_schema' && isObject(format.json_schema)) return { jsonSchema: format.json_schema, rest };
  return { jsonSchema: null, rest: { ...settings } };
}

/**
 * Settings with a JSON schema response format, sent as OpenAI's `response_format: { type: 'json_schema', json_schema }`.
 * `jsonSchema` is the `json_schema` member, or a bare JSON schema (named `response`); null leaves the settings as they are.
 */
export function withResponseFormat(settings: Settings, jsonSchema: Record<string, unknown> | null): Record<string, unknown> {
  if (jsonSchema === null) return { ...settings };
  const member = isObject(jsonSchema.schema)
    ? { name: DEFAULT_SCHEMA_NAME, ...jsonSchema }
    : { name: DEFAULT_SCHEMA_NAME, schema: jsonSchema };
  return { ...settings, response_format: { type: 'json_schema', json_schema: member } };
}
