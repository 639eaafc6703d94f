/**
 * Signet as a library: the same operations as the CLI, with typed results.
 */
export * from './core/index.js';
export * from './manifest/index.js';
export * from './transports/index.js';
export * from './copy/index.js';
export * from './inspect/index.js';
