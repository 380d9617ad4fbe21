export { step, currentStep, Step, TRACER_NAME } from './step.js';
export type { StepOptions, StepType } from './step.js';
export { trackStream } from './stream.js';
export type { TrackStreamOptions, StreamTiming } from './stream.js';
