/** registry: `signet serve` — the OCI Distribution API with signatures as first-class content. */
export { startRegistry } from './registry.js';
export type { RunningRegistry } from './registry.js';
export { loadRegistryConfig, RegistryConfigError, environmentVariableFor } from './config.js';
export type { RegistryConfig, RegistryConfigErrorCode } from './config.js';
export { RegistryHttpError, wireErrors } from './errors.js';
export type { WireErrorCode } from './errors.js';
