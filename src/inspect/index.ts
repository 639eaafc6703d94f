/** inspect: skopeo-compatible facts about an image, from verified bytes. */
export { inspectImage, renderInspect, readRawManifest, readRawConfig } from './inspect.js';
export type { InspectOutput, InspectLayer, InspectOptions } from './inspect.js';
export { InspectError } from './errors.js';
export type { InspectErrorCode } from './errors.js';
