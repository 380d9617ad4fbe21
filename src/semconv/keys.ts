/**
 * Every span attribute, event and log-record key genspan writes or reads, in one place.
 * Sources: shared/reference/span-conventions.md (sections cited per group).
 * The GenAI keys are copied here rather than imported from `@opentelemetry/semantic-conventions/incubating`,
 * as that package's README asks of instrumentations (§1.8), and because the newest keys are not exported there.
 */

/** OpenTelemetry GenAI semantic conventions, v1.37+ (§1.2–§1.5, §1.7). */
export const GenAI = {
  OPERATION_NAME: 'gen_ai.operation.name',
  PROVIDER_NAME: 'gen_ai.provider.name',
  REQUEST_MODEL: 'gen_ai.request.model',
  REQUEST_TEMPERATURE: 'gen_ai.request.temperature',
  REQUEST_TOP_P: 'gen_ai.request.top_p',
  REQUEST_TOP_K: 'gen_ai.request.top_k',
  REQUEST_MAX_TOKENS: 'gen_ai.request.max_tokens',
  REQUEST_FREQUENCY_PENALTY: 'gen_ai.request.frequency_penalty',
  REQUEST_PRESENCE_PENALTY: 'gen_ai.request.presence_penalty',
  REQUEST_STOP_SEQUENCES: 'gen_ai.request.stop_sequences',
  REQUEST_SEED: 'gen_ai.request.seed',
  REQUEST_CHOICE_COUNT: 'gen_ai.request.choice.count',
  REQUEST_STREAM: 'gen_ai.request.stream',
  REQUEST_PREFIX: 'gen_ai.request.',
  OUTPUT_TYPE: 'gen_ai.output.type',
  RESPONSE_ID: 'gen_ai.response.id',
  RESPONSE_MODEL: 'gen_ai.response.model',
  RESPONSE_FINISH_REASONS: 'gen_ai.response.finish_reasons',
  RESPONSE_TIME_TO_FIRST_CHUNK: 'gen_ai.response.time_to_first_chunk',
  USAGE_INPUT_TOKENS: 'gen_ai.usage.input_tokens',
  USAGE_OUTPUT_TOKENS: 'gen_ai.usage.output_tokens',
  INPUT_MESSAGES: 'gen_ai.input.messages',
  OUTPUT_MESSAGES: 'gen_ai.output.messages',
  SYSTEM_INSTRUCTIONS: 'gen_ai.system_instructions',
  TOOL_DEFINITIONS: 'gen_ai.tool.definitions',
  PROMPT_NAME: 'gen_ai.prompt.name',
  /** genai-repo dev: `gen_ai.prompt.variable.<name>`, the variable's value as a string. */
  PROMPT_VARIABLE_PREFIX: 'gen_ai.prompt.variable.',
  CONVERSATION_ID: 'gen_ai.conversation.id',
  /** Agent and tool spans (`invoke_agent`, `execute_tool`): what the agent or tool is called. */
  AGENT_NAME: 'gen_ai.agent.name',
  TOOL_NAME: 'gen_ai.tool.name',
  TOOL_CALL_ID: 'gen_ai.tool.call.id',
  /** Opt-in content of an `execute_tool` span: the arguments the tool got and what it returned (JSON or text). */
  TOOL_CALL_ARGUMENTS: 'gen_ai.tool.call.arguments',
  TOOL_CALL_RESULT: 'gen_ai.tool.call.result',
} as const;

/** The fields of a GenAI message (an entry of `gen_ai.input.messages` / `gen_ai.output.messages`, §1.4). */
export const GenAIMessageField = {
  ROLE: 'role',
  PARTS: 'parts',
  NAME: 'name',
  FINISH_REASON: 'finish_reason',
} as const;

/** Values of `gen_ai.operation.name` genspan writes. */
export const GenAIOperation = {
  CHAT: 'chat',
  TEXT_COMPLETION: 'text_completion',
} as const;

/** General OpenTelemetry keys used on LLM spans. */
export const Otel = {
  /** Deprecated in favour of `user.id` (`OpenInference.USER_ID`), still written by older instrumentations. */
  ENDUSER_ID: 'enduser.id',
  ERROR_TYPE: 'error.type',
  /** Fallback `error.type` value the semantic conventions define. */
  ERROR_TYPE_OTHER: '_OTHER',
  SERVICE_NAME: 'service.name',
  EXCEPTION_EVENT: 'exception',
  EXCEPTION_TYPE: 'exception.type',
  EXCEPTION_MESSAGE: 'exception.message',
} as const;

/**
 * genspan's own namespace, for what the GenAI conventions have no key for.
 * Documented in the README ("Span attributes"). JSON-valued keys hold a JSON string.
 */
export const Genspan = {
  /** The generation's own `id`. */
  GENERATION_ID: 'genspan.generation.id',
  /** `COMPLETION` or `CHAT`, so a decoder never has to guess. */
  GENERATION_TYPE: 'genspan.generation.type',
  PROMPT_ID: 'genspan.prompt_id',
  /** JSON: every setting, credentials redacted, including those that also have a `gen_ai.request.*` key. */
  SETTINGS: 'genspan.settings',
  /**
   * JSON: the template variables with their original types, written only when some value is not a string (each is
   * also `gen_ai.prompt.variable.<name>`).
   */
  VARIABLES: 'genspan.variables',
  /** The unformatted prompt (string) or messages (JSON). */
  TEMPLATE: 'genspan.template',
  TAGS: 'genspan.tags',
  /** JSON */
  METADATA: 'genspan.metadata',
  TOKEN_COUNT: 'genspan.usage.total_tokens',
  /** Tokens per second. */
  TOKEN_THROUGHPUT: 'genspan.token_throughput_in_s',
  /** Seconds; the generation's own duration when it was given (the span's duration otherwise). */
  DURATION: 'genspan.duration',
  /** Milliseconds, exactly as given; `gen_ai.response.time_to_first_chunk` carries it in seconds. */
  TT_FIRST_TOKEN: 'genspan.tt_first_token_ms',
  ERROR: 'genspan.error',
  /** True when content attributes were capped by `maxContentLength`. */
  CONTENT_TRUNCATED: 'genspan.content.truncated',
  STEP_NAME: 'genspan.step.name',
  STEP_TYPE: 'genspan.step.type',
  STEP_INPUT: 'genspan.step.input',
  STEP_OUTPUT: 'genspan.step.output',
  STEP_TAGS: 'genspan.step.tags',
  /** JSON */
  STEP_METADATA: 'genspan.step.metadata',
  /** The name `step({ thread: { id, name } })` gives its thread (the id is `gen_ai.conversation.id`). */
  THREAD_NAME: 'genspan.thread.name',
  /** Span id of the generation a playground re-run came from. */
  RERUN_OF: 'genspan.rerun_of',
} as const;

export { StatusCode } from '../generation/status.js';

/**
 * Keys of a generation's `metadata` under which the translator keeps what the conventions carry besides the
 * generation model's own fields (span-conventions.md §9), whichever convention it came from.
 */
export const GenerationMetadata = {
  FINISH_REASON: 'finish_reason',
  PROMPT_VERSION: 'prompt_version',
  /** A chat's prompt template when it has no message structure (OpenInference `llm.prompt_template.template`). */
  PROMPT_TEMPLATE: 'prompt_template',
  RESPONSE_ID: 'response_id',
  CONVERSATION_ID: 'conversation_id',
  SESSION_ID: 'session_id',
  USER_ID: 'user_id',
  FUNCTION_ID: 'function_id',
  CACHE_READ_INPUT_TOKENS: 'cache_read_input_tokens',
  CACHE_WRITE_INPUT_TOKENS: 'cache_write_input_tokens',
  REASONING_OUTPUT_TOKENS: 'reasoning_output_tokens',
} as const;

/** Settings the translator reads from keys other than `gen_ai.request.*` (those are in settings.ts). */
export const GenerationSettings = {
  /** `gen_ai.output.type` */
  OUTPUT_TYPE: 'output_type',
  /** The AI SDK's `ai.prompt.toolChoice` */
  TOOL_CHOICE: 'tool_choice',
} as const;

/** The environment variable that switches content capture, as `@opentelemetry/instrumentation-openai` reads it (§1.6). */
export const CAPTURE_CONTENT_ENV = 'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT';

/** Placeholder for a redacted credential. */
export const REDACTED = '[REDACTED]';

/** GenAI events sent as log records (§1.3, §1.6): how `@opentelemetry/instrumentation-openai` ships message content. */
export const GenAILogs = {
  /** Every GenAI event name starts with it (`gen_ai.user.message`, `gen_ai.choice`, `gen_ai.client.inference.operation.details`...). */
  EVENT_NAME_PREFIX: 'gen_ai.',
} as const;

/** Instrumentation scope names genspan treats specially. */
export const InstrumentationScopes = {
  /** Sends message content as log records, not on the span, so its spans wait for their logs. */
  OPENTELEMETRY_OPENAI: '@opentelemetry/instrumentation-openai',
} as const;

/**
 * Keys the translator reads besides the ones above (span-conventions.md §9). Grouped by the convention that
 * defines them; the `*_PREFIX` entries introduce flattened or indexed families of keys.
 */

/** OpenTelemetry GenAI keys beyond the v1.37+ core: older spellings, events, metric-named attributes (§1.2–§1.5, §5.2). */
export const GenAIExtra = {
  /** Deprecated since v1.37 in favour of `gen_ai.provider.name`; often free-form in the wild. */
  SYSTEM: 'gen_ai.system',
  USAGE_PROMPT_TOKENS: 'gen_ai.usage.prompt_tokens',
  USAGE_COMPLETION_TOKENS: 'gen_ai.usage.completion_tokens',
  USAGE_CACHE_READ_INPUT_TOKENS: 'gen_ai.usage.cache_read.input_tokens',
  USAGE_CACHE_CREATION_INPUT_TOKENS: 'gen_ai.usage.cache_creation.input_tokens',
  USAGE_CACHE_WRITE_INPUT_TOKENS: 'gen_ai.usage.cache_write.input_tokens',
  USAGE_REASONING_OUTPUT_TOKENS: 'gen_ai.usage.reasoning.output_tokens',
  /** USD the call cost, as openlit writes it (and Langfuse reads it); not in the GenAI conventions. */
  USAGE_COST: 'gen_ai.usage.cost',
  /** The input's and output's parts of it, as some SDKs (any-agent, Laminar) write them. */
  USAGE_INPUT_COST: 'gen_ai.usage.input_cost',
  USAGE_OUTPUT_COST: 'gen_ai.usage.output_cost',
  /** Pre-v1.37 OpenAI-specific request keys (`gen_ai.openai.request.seed`, `.response_format`, `.service_tier`). */
  OPENAI_REQUEST_PREFIX: 'gen_ai.openai.request.',
  PROMPT_VERSION: 'gen_ai.prompt.version',
  /** v1.26/v1.27 content event attributes, JSON strings. */
  PROMPT: 'gen_ai.prompt',
  COMPLETION: 'gen_ai.completion',
  /** `@ai-sdk/otel` writes these metric names as span attributes, in seconds (§5.2); the genai repo renames them. */
  CLIENT_OPERATION_DURATION: 'gen_ai.client.operation.duration',
  CLIENT_TIME_TO_FIRST_CHUNK: 'gen_ai.client.operation.time_to_first_chunk',
  CLIENT_INFERENCE_TIME_TO_FIRST_CHUNK: 'gen_ai.client.inference.time_to_first_chunk',
  /** Namespace of every GenAI key. */
  PREFIX: 'gen_ai.',
} as const;

/** More `gen_ai.operation.name` values of a single LLM call, besides those in `GenAIOperation` (§1.2, §6.1). */
export const GenAIOperationExtra = {
  GENERATE_CONTENT: 'generate_content',
  /** Not in the spec; Langfuse accepts them as generations. */
  COMPLETION: 'completion',
  GENERATE: 'generate',
} as const;

/** Event names carrying message content, as span events or log records (§1.3). */
export const GenAIEvent = {
  SYSTEM_MESSAGE: 'gen_ai.system.message',
  USER_MESSAGE: 'gen_ai.user.message',
  ASSISTANT_MESSAGE: 'gen_ai.assistant.message',
  TOOL_MESSAGE: 'gen_ai.tool.message',
  CHOICE: 'gen_ai.choice',
  OPERATION_DETAILS: 'gen_ai.client.inference.operation.details',
  CONTENT_PROMPT: 'gen_ai.content.prompt',
  CONTENT_COMPLETION: 'gen_ai.content.completion',
  /** Log-record attribute naming the event when the record has no `eventName`. */
  EVENT_NAME_ATTRIBUTE: 'event.name',
} as const;

/** OpenLLMetry / Traceloop keys, legacy (≤0.22) and current (§3). */
export const OpenLLMetry = {
  /** `gen_ai.prompt.{i}.role|content|user` and `gen_ai.completion.{i}.*` (legacy indexed form). */
  PROMPT_PREFIX: 'gen_ai.prompt.',
  COMPLETION_PREFIX: 'gen_ai.completion.',
  REQUEST_TYPE: 'llm.request.type',
  REQUEST_FUNCTIONS_PREFIX: 'llm.request.functions.',
  USAGE_TOTAL_TOKENS: 'llm.usage.total_tokens',
  GEN_AI_USAGE_TOTAL_TOKENS: 'gen_ai.usage.total_tokens',
  FREQUENCY_PENALTY: 'llm.frequency_penalty',
  PRESENCE_PENALTY: 'llm.presence_penalty',
  TOP_K: 'llm.top_k',
  CHAT_STOP_SEQUENCES: 'llm.chat.stop_sequences',
  TEMPLATE_VARIABLES_PREFIX: 'traceloop.prompt.template_variables.',
  PROMPT_KEY: 'traceloop.prompt.key',
  PROMPT_VERSION: 'traceloop.prompt.version',
  ASSOCIATION_PROPERTIES_PREFIX: 'traceloop.association.properties.',
  ENTITY_INPUT: 'traceloop.entity.input',
  ENTITY_OUTPUT: 'traceloop.entity.output',
  /** `workflow`, `task`, `agent`, `tool`, `session`, `unknown` (`OpenLLMetrySpanKind`). */
  SPAN_KIND: 'traceloop.span.kind',
  /** The decorated function's name; the span name is `<name>.<kind>`. */
  ENTITY_NAME: 'traceloop.entity.name',
  PREFIX: 'traceloop.',
  /** Instrumentation scope names of the Traceloop packages start with this. */
  SCOPE_PREFIX: '@traceloop/',
  /** Legacy span name of a completions-API call. */
  COMPLETION_SPAN_NAME: 'openai.completion',
} as const;

/** OpenInference keys (§4). */
export const OpenInference = {
  SPAN_KIND: 'openinference.span.kind',
  SPAN_KIND_LLM: 'LLM',
  /** Namespace of the `llm.*` keys (shared with legacy OpenLLMetry). */
  LLM_PREFIX: 'llm.',
  MODEL_NAME: 'llm.model_name',
  REQUEST_MODEL_NAME: 'llm.request.model_name',
  RESPONSE_MODEL_NAME: 'llm.response.model_name',
  PROVIDER: 'llm.provider',
  SYSTEM: 'llm.system',
  INVOCATION_PARAMETERS: 'llm.invocation_parameters',
  INPUT_MESSAGES_PREFIX: 'llm.input_messages.',
  OUTPUT_MESSAGES_PREFIX: 'llm.output_messages.',
  PROMPTS_PREFIX: 'llm.prompts.',
  /** Older emitters: `llm.prompts` as a plain list of prompt strings. */
  PROMPTS: 'llm.prompts',
  CHOICES_PREFIX: 'llm.choices.',
  TOOLS_PREFIX: 'llm.tools.',
  TOKEN_COUNT_PROMPT: 'llm.token_count.prompt',
  TOKEN_COUNT_COMPLETION: 'llm.token_count.completion',
  TOKEN_COUNT_TOTAL: 'llm.token_count.total',
  TOKEN_COUNT_CACHE_READ: 'llm.token_count.prompt_details.cache_read',
  TOKEN_COUNT_REASONING: 'llm.token_count.completion_details.reasoning',
  /** USD (§4): the prompt's and completion's parts and the total. */
  COST_PROMPT: 'llm.cost.prompt',
  COST_COMPLETION: 'llm.cost.completion',
  COST_TOTAL: 'llm.cost.total',
  FINISH_REASON: 'llm.finish_reason',
  PROMPT_TEMPLATE: 'llm.prompt_template.template',
  PROMPT_TEMPLATE_VARIABLES: 'llm.prompt_template.variables',
  PROMPT_TEMPLATE_VERSION: 'llm.prompt_template.version',
  PROMPT_ID: 'prompt.id',
  INPUT_VALUE: 'input.value',
  INPUT_MIME_TYPE: 'input.mime_type',
  OUTPUT_VALUE: 'output.value',
  MIME_JSON: 'application/json',
  METADATA: 'metadata',
  TAGS: 'tag.tags',
  SESSION_ID: 'session.id',
  USER_ID: 'user.id',
  /** The tool a TOOL span ran. */
  TOOL_NAME: 'tool.name',
  /** `@arizeai/openinference-vercel` copies the Vercel timing attributes under `metadata.` (§9). */
  METADATA_MS_TO_FIRST_CHUNK: 'metadata.ai.response.msToFirstChunk',
} as const;

/** Vercel AI SDK legacy `ai.*` keys, v3 to v6 and v7 `LegacyOpenTelemetry` (§5.1). */
export const VercelAI = {
  OPERATION_ID: 'ai.operationId',
  OPERATION_NAME: 'operation.name',
  /** Per-call spans; the root `ai.generateText` / `ai.streamText` spans repeat their usage and are skipped. */
  CALL_OPERATIONS: ['ai.generateText.doGenerate', 'ai.streamText.doStream', 'ai.generateObject.doGenerate', 'ai.streamObject.doStream'],
  FUNCTION_ID: 'ai.telemetry.functionId',
  /** Tool spans (`ai.toolCall`): the tool, its arguments and its result, as JSON text. */
  TOOL_CALL_NAME: 'ai.toolCall.name',
  TOOL_CALL_ARGS: 'ai.toolCall.args',
  TOOL_CALL_RESULT: 'ai.toolCall.result',
  /** `ai.embed` / `ai.embedMany` (and their `.doEmbed`) input: the value, or the values as JSON strings. */
  EMBED_VALUE: 'ai.value',
  EMBED_VALUES: 'ai.values',
  /** `ai.rerank` (and `.doRerank`): the documents (JSON strings) in, the ranking (JSON strings) out. */
  RERANK_DOCUMENTS: 'ai.documents',
  RERANK_RANKING: 'ai.ranking',
  MODEL_ID: 'ai.model.id',
  MODEL_PROVIDER: 'ai.model.provider',
  SETTINGS_PREFIX: 'ai.settings.',
  /** v7 runtime context, under `ai.settings.`; metadata, not a model setting. */
  SETTINGS_CONTEXT_PREFIX: 'ai.settings.context.',
  METADATA_PREFIX: 'ai.telemetry.metadata.',
  PROMPT: 'ai.prompt',
  PROMPT_MESSAGES: 'ai.prompt.messages',
  PROMPT_TOOLS: 'ai.prompt.tools',
  PROMPT_TOOL_CHOICE: 'ai.prompt.toolChoice',
  RESPONSE_TEXT: 'ai.response.text',
  RESPONSE_TOOL_CALLS: 'ai.response.toolCalls',
  RESPONSE_OBJECT: 'ai.response.object',
  RESPONSE_FINISH_REASON: 'ai.response.finishReason',
  RESPONSE_ID: 'ai.response.id',
  RESPONSE_MODEL: 'ai.response.model',
  RESPONSE_MS_TO_FIRST_CHUNK: 'ai.response.msToFirstChunk',
  RESPONSE_MS_TO_FINISH: 'ai.response.msToFinish',
  RESPONSE_AVG_OUTPUT_TOKENS_PER_SECOND: 'ai.response.avgOutputTokensPerSecond',
  /** v3.4–v4 name of the throughput. */
  RESPONSE_AVG_COMPLETION_TOKENS_PER_SECOND: 'ai.response.avgCompletionTokensPerSecond',
  STREAM_MS_TO_FIRST_CHUNK: 'ai.stream.msToFirstChunk',
  STREAM_FIRST_CHUNK_EVENT: 'ai.stream.firstChunk',
  /** Before v4.0. */
  RESULT_TEXT: 'ai.result.text',
  RESULT_TOOL_CALLS: 'ai.result.toolCalls',
  RESULT_OBJECT: 'ai.result.object',
  FINISH_REASON: 'ai.finishReason',
  USAGE_INPUT_TOKENS: 'ai.usage.inputTokens',
  USAGE_PROMPT_TOKENS: 'ai.usage.promptTokens',
  USAGE_OUTPUT_TOKENS: 'ai.usage.outputTokens',
  USAGE_COMPLETION_TOKENS: 'ai.usage.completionTokens',
  USAGE_TOTAL_TOKENS: 'ai.usage.totalTokens',
  USAGE_CACHED_INPUT_TOKENS: 'ai.usage.cachedInputTokens',
  USAGE_REASONING_TOKENS: 'ai.usage.reasoningTokens',
  /** `ai.model.provider` of a legacy completions-API model, e.g. `openai.completion`. */
  COMPLETION_PROVIDER_SUFFIX: '.completion',
  PREFIX: 'ai.',
  /** v7 `@ai-sdk/otel` scope names (§5.2). */
  OTEL_SCOPES: ['gen_ai', '@ai-sdk/otel'],
} as const;

/** Langfuse SDK attributes (§6.3). */
export const Langfuse = {
  OBSERVATION_TYPE: 'langfuse.observation.type',
  TYPE_GENERATION: 'generation',
  MODEL_NAME: 'langfuse.observation.model.name',
  MODEL_PARAMETERS: 'langfuse.observation.model.parameters',
  INPUT: 'langfuse.observation.input',
  OUTPUT: 'langfuse.observation.output',
  USAGE_DETAILS: 'langfuse.observation.usage_details',
  /** JSON `{[usage type]: USD}`, e.g. `{"input": 0.001, "output": 0.002, "total": 0.003}` (§6.3). */
  COST_DETAILS: 'langfuse.observation.cost_details',
  COMPLETION_START_TIME: 'langfuse.observation.completion_start_time',
  LEVEL: 'langfuse.observation.level',
  LEVEL_ERROR: 'ERROR',
  STATUS_MESSAGE: 'langfuse.observation.status_message',
  PROMPT_NAME: 'langfuse.observation.prompt.name',
  PROMPT_VERSION: 'langfuse.observation.prompt.version',
  METADATA_PREFIX: 'langfuse.observation.metadata.',
  TRACE_TAGS: 'langfuse.trace.tags',
  TAGS: 'langfuse.tags',
  SESSION_ID: 'langfuse.session.id',
  /** `user.id` and `session.id` are what `@langfuse/tracing` 5 writes; these are its older spellings, still read. */
  USER_ID: 'langfuse.user.id',
  /** `propagateAttributes({ metadata })`: `langfuse.trace.metadata.<key>`. */
  TRACE_METADATA_PREFIX: 'langfuse.trace.metadata.',
  PREFIX: 'langfuse.',
} as const;

/**
 * Values of the keys that say what kind of work a span did, per convention, as the packages write them
 * (docs/reference-additions.md "Steps" cites each). The step type each one becomes is in translate/step-kind.ts.
 */

/** `openinference.span.kind` (`OpenInferenceSpanKind`, `@arizeai/openinference-semantic-conventions` 2.x). */
export const OpenInferenceSpanKind = {
  LLM: 'LLM',
  CHAIN: 'CHAIN',
  AGENT: 'AGENT',
  TOOL: 'TOOL',
  RETRIEVER: 'RETRIEVER',
  RERANKER: 'RERANKER',
  EMBEDDING: 'EMBEDDING',
  GUARDRAIL: 'GUARDRAIL',
  EVALUATOR: 'EVALUATOR',
  PROMPT: 'PROMPT',
} as const;

/** `gen_ai.operation.name` values of spans that are no single LLM call (v1.41 and the genai repo; AI SDK 7's `agent_step`). */
export const GenAIStepOperation = {
  INVOKE_AGENT: 'invoke_agent',
  CREATE_AGENT: 'create_agent',
  INVOKE_WORKFLOW: 'invoke_workflow',
  /** `@ai-sdk/otel`: one step of an agent loop. */
  AGENT_STEP: 'agent_step',
  PLAN: 'plan',
  EXECUTE_TOOL: 'execute_tool',
  EMBEDDINGS: 'embeddings',
  RETRIEVAL: 'retrieval',
  /** `@ai-sdk/otel`'s rerank spans. */
  RERANK: 'rerank',
} as const;

/** `ai.operationId` values of the AI SDK's spans besides the per-call ones (`VercelAI.CALL_OPERATIONS`). */
export const VercelAIOperation = {
  GENERATE_TEXT: 'ai.generateText',
  STREAM_TEXT: 'ai.streamText',
  GENERATE_OBJECT: 'ai.generateObject',
  STREAM_OBJECT: 'ai.streamObject',
  TOOL_CALL: 'ai.toolCall',
  EMBED: 'ai.embed',
  EMBED_DO_EMBED: 'ai.embed.doEmbed',
  EMBED_MANY: 'ai.embedMany',
  EMBED_MANY_DO_EMBED: 'ai.embedMany.doEmbed',
  RERANK: 'ai.rerank',
  RERANK_DO_RERANK: 'ai.rerank.doRerank',
} as const;

/** `traceloop.span.kind` (`TraceloopSpanKindValues`, `@traceloop/ai-semantic-conventions`). */
export const OpenLLMetrySpanKind = {
  WORKFLOW: 'workflow',
  TASK: 'task',
  AGENT: 'agent',
  TOOL: 'tool',
  SESSION: 'session',
  UNKNOWN: 'unknown',
} as const;

/** `llm.request.type` values of OpenLLMetry spans that are no chat or completion call (`LLMRequestTypeValues`). */
export const OpenLLMetryRequestType = {
  RERANK: 'rerank',
} as const;

/** `langfuse.observation.type` (`@langfuse/tracing` 5 `asType`). */
export const LangfuseObservationType = {
  SPAN: 'span',
  GENERATION: 'generation',
  EVENT: 'event',
  AGENT: 'agent',
  TOOL: 'tool',
  CHAIN: 'chain',
  RETRIEVER: 'retriever',
  EMBEDDING: 'embedding',
  EVALUATOR: 'evaluator',
  GUARDRAIL: 'guardrail',
} as const;

/**
 * Names under `traceloop.association.properties.` that say which conversation and user a span belongs to: OpenLLMetry's
 * documented `session_id` / `user_id`, a `thread_id`, and the Literal AI SDK's `literal.*` (its span exporter reads them).
 */
export const AssociationProperty = {
  SESSION_ID: 'session_id',
  THREAD_ID: 'thread_id',
  USER_ID: 'user_id',
  LITERAL_THREAD_ID: 'literal.thread_id',
  /** JSON array of strings. */
  LITERAL_TAGS: 'literal.tags',
} as const;

/** Literal AI's own span attributes (its Python SDK's exporter reads them besides the association properties). */
export const Literal = {
  THREAD_ID: 'literal.thread_id',
  /** Python's `str(None)`: what the Literal SDK writes for an id it does not have. */
  NONE: 'None',
} as const;

/** Keys of `ai.telemetry.metadata.*` that Langfuse reads as the session, the user and the tags (span-conventions.md §6.2). */
export const VercelAIMetadata = {
  SESSION_ID: 'sessionId',
  USER_ID: 'userId',
  TAGS: 'tags',
} as const;
