declare const SIGNET_VERSION: string | undefined;

/** The package version, set at build time. */
export const version = typeof SIGNET_VERSION === 'string' ? SIGNET_VERSION : '0.0.0-dev';
