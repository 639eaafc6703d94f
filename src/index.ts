/**
 * Signet as a library: the same operations as the CLI, with typed results.
 */
export * from './core/index.js';
export * from './manifest/index.js';
export * from './transports/index.js';
export * from './copy/index.js';
export * from './inspect/index.js';
export * from './signature/index.js';
export * from './policy/index.js';
export * from './verify/index.js';
export * from './sign/index.js';
export * from './tree/index.js';
export * from './attest/index.js';
