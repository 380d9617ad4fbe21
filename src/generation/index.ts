export {
  ChatGeneration,
  CompletionGeneration,
  type Generation,
  GenerationValidationError,
  generationFromJSON,
  toGeneration,
} from './generation.js';
export * from './schema.js';
