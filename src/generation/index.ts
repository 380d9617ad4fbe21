export * from './schema.js';
export * from './generation.js';
