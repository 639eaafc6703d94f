/** How the CLI reports a failure: one clear line (or a JSON object), and the SPEC §3.1 exit code. */
import { CodedError, exitCodeFor } from '../core/index.js';

export function reportError(err: unknown, globals: { output: string; debug: boolean }): number {
  const code = err instanceof CodedError ? err.code : 'INTERNAL_ERROR';
  const message = err instanceof Error ? err.message : String(err);
  const exitCode = exitCodeFor(err);
  if (globals.output === 'json') {
    process.stderr.write(JSON.stringify({ error: { code, message, exitCode } }) + '\n');
  } else {
    process.stderr.write(`signet: ${message} [${code}]\n`);
  }
  if (globals.debug && err instanceof Error && err.stack !== undefined) process.stderr.write(err.stack + '\n');
  return exitCode;
}
