/** Option handling shared by the commands. Kept free of heavy imports: the CLI entry loads it. */
import { InvalidArgumentError } from 'commander';

export interface GlobalOptions {
  readonly policy?: string;
  readonly 'registries.d'?: string;
  readonly insecurePolicy?: boolean;
  readonly authfile?: string;
  readonly output: 'text' | 'json';
  readonly debug?: boolean;
}

export function parseBooleanValue(value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new InvalidArgumentError(`expected true or false, got "${value}"`);
}

/** `--tls-verify` alone means `--tls-verify=true`, as Go's boolean flags do. */
export function normaliseBooleanFlags(argv: readonly string[], flags: readonly string[]): string[] {
  return argv.map((a) => (flags.includes(a) ? `${a}=true` : a));
}
