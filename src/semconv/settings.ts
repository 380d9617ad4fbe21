import { GenAI, OpenLLMetry } from './keys.js';

/**
 * The generation settings that have a `gen_ai.request.*` key, written once: the encoder writes each setting under
 * its key, and every convention reader names what it reads by this table (span-conventions.md §1.2, §3.2, §5.1).
 */

/** The value type the conventions give a setting's key. */
export type SettingKind = 'number' | 'int' | 'strings' | 'boolean';

export interface RequestSetting {
  /** The setting's name in a generation: OpenAI's request name. */
  readonly name: string;
  /** Its `gen_ai.request.*` key. */
  readonly key: string;
  readonly kind: SettingKind;
  /** Other names of the same setting: OpenAI's newer ones, the AI SDK's camelCase `ai.settings.*` names. */
  readonly aliases: readonly string[];
  /** The `llm.*` key of legacy OpenLLMetry (§3.2), where it has one. */
  readonly openLLMetryKey?: string;
}

function setting(name: string, key: string, kind: SettingKind, aliases: readonly string[] = [], openLLMetryKey?: string): RequestSetting {
  return Object.freeze({ name, key, kind, aliases: Object.freeze([...aliases]), openLLMetryKey });
}

export const REQUEST_SETTINGS: readonly RequestSetting[] = Object.freeze([
  setting('temperature', GenAI.REQUEST_TEMPERATURE, 'number'),
  setting('top_p', GenAI.REQUEST_TOP_P, 'number', ['topP']),
  setting('top_k', GenAI.REQUEST_TOP_K, 'number', ['topK'], OpenLLMetry.TOP_K),
  setting('max_tokens', GenAI.REQUEST_MAX_TOKENS, 'int', ['max_completion_tokens', 'maxTokens', 'maxOutputTokens']),
  setting('frequency_penalty', GenAI.REQUEST_FREQUENCY_PENALTY, 'number', ['frequencyPenalty'], OpenLLMetry.FREQUENCY_PENALTY),
  setting('presence_penalty', GenAI.REQUEST_PRESENCE_PENALTY, 'number', ['presencePenalty'], OpenLLMetry.PRESENCE_PENALTY),
  setting('stop', GenAI.REQUEST_STOP_SEQUENCES, 'strings', ['stop_sequences', 'stopSequences'], OpenLLMetry.CHAT_STOP_SEQUENCES),
  setting('seed', GenAI.REQUEST_SEED, 'int'),
  setting('n', GenAI.REQUEST_CHOICE_COUNT, 'int'),
  setting('stream', GenAI.REQUEST_STREAM, 'boolean'),
]);

const BY_NAME: ReadonlyMap<string, RequestSetting> = new Map(
  REQUEST_SETTINGS.flatMap((entry) => [entry.name, ...entry.aliases].map((name) => [name, entry] as const)),
);
const BY_KEY: ReadonlyMap<string, RequestSetting> = new Map(REQUEST_SETTINGS.map((entry) => [entry.key, entry] as const));

/** The setting a name or alias stands for (`maxOutputTokens` → `max_tokens`'s entry). */
export function requestSetting(name: string): RequestSetting | undefined {
  return BY_NAME.get(name);
}

/**
 * The setting name of a `gen_ai.request.<suffix>` key: the table's name, else the suffix with dots as underscores
 * (`gen_ai.request.encoding_formats` → `encoding_formats`). Undefined for the model and for a key with no suffix.
 */
export function settingOfRequestKey(key: string): string | undefined {
  const known = BY_KEY.get(key);
  if (known !== undefined) return known.name;
  if (!key.startsWith(GenAI.REQUEST_PREFIX) || key === GenAI.REQUEST_MODEL || key.length === GenAI.REQUEST_PREFIX.length) return undefined;
  return key.slice(GenAI.REQUEST_PREFIX.length).replaceAll('.', '_');
}

/** Every name the table gives a setting, aliases included. */
export const SETTING_NAMES: readonly string[] = Object.freeze([...BY_NAME.keys()]);
