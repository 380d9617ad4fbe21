export * from './schema.js';
export {
  GenerationValidationError,
  CompletionGeneration,
  ChatGeneration,
  generationFromJSON,
  toGeneration,
  type Generation,
} from './generation.js';
