export type { StepOptions, StepThreadOptions, StepType } from './step.js';
export { currentStep, Step, step, TRACER_NAME } from './step.js';
export type { StreamTiming, TrackStreamOptions } from './stream.js';
export { trackStream } from './stream.js';
