/**
 * Provider names as `gen_ai.provider.name` spells them (span-conventions.md §1.2). Older and non-OTel sources
 * write free-form values: OpenLLMetry ≤0.22 capitalised vendor names (§3.2), the deprecated `gen_ai.system` enum
 * (§1.2), Vercel's `<provider>.<api>` model providers (§5.1), OpenInference's `llm.provider` enum (§4).
 */
const KNOWN: ReadonlyMap<string, string> = new Map(
  Object.entries({
    openai: 'openai',
    azure: 'azure.ai.openai',
    'az.ai.openai': 'azure.ai.openai',
    'az.ai.inference': 'azure.ai.inference',
    anthropic: 'anthropic',
    aws: 'aws.bedrock',
    bedrock: 'aws.bedrock',
    'amazon-bedrock': 'aws.bedrock',
    google: 'gcp.gen_ai',
    vertex_ai: 'gcp.vertex_ai',
    vertexai: 'gcp.vertex_ai',
    'google.vertex': 'gcp.vertex_ai',
    gemini: 'gcp.gemini',
    'google.generative-ai': 'gcp.gemini',
    mistral: 'mistral_ai',
    mistralai: 'mistral_ai',
    xai: 'x_ai',
    cohere: 'cohere',
    groq: 'groq',
    deepseek: 'deepseek',
    perplexity: 'perplexity',
    openrouter: 'openrouter',
  }),
);

/** Vercel's API suffixes after the provider (`openai.chat`, `openai.responses`, `openai.completion`). */
const API_SUFFIX = /\.(chat|responses|completion|embedding|image|transcription|speech)$/;

/** Pure; a value already spelled as a known name (the common case) costs one lookup. */
export function normalizeProvider(value: string): string {
  const known = KNOWN.get(value);
  if (known !== undefined) return known;
  const lower = value.trim().toLowerCase();
  const bare = lower.replace(API_SUFFIX, '');
  return KNOWN.get(lower) ?? KNOWN.get(bare) ?? bare;
}
