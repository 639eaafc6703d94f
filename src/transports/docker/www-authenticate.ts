/**
 * `WWW-Authenticate` challenges (RFC 7235): `Bearer realm="…",service="…",scope="…"`, `Basic realm="…"`.
 * A header may hold several challenges separated by commas; a response may carry several headers.
 */

export interface Challenge {
  /** Lower-case scheme: `basic`, `bearer`, … */
  readonly scheme: string;
  /** Parameters with lower-case names. */
  readonly params: Readonly<Record<string, string>>;
}

const tokenChar = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

/** Parse every challenge in the given header values; malformed trailing parts are ignored. */
export function parseChallenges(headerValues: readonly string[]): Challenge[] {
  const out: Challenge[] = [];
  for (const value of headerValues) out.push(...parseOne(value));
  return out;
}

function parseOne(input: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const n = input.length;
  const skipSpace = (): void => {
    while (i < n && (input[i] === ' ' || input[i] === '\t')) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < n && tokenChar.test(input[i] as string)) i++;
    return input.slice(start, i);
  };
  const readQuoted = (): string | undefined => {
    // input[i] === '"'
    i++;
    let value = '';
    while (i < n) {
      const c = input[i] as string;
      if (c === '\\' && i + 1 < n) {
        value += input[i + 1];
        i += 2;
      } else if (c === '"') {
        i++;
        return value;
      } else {
        value += c;
        i++;
      }
    }
    return undefined;
  };

  let current: { scheme: string; params: Record<string, string> } | undefined;
  while (i < n) {
    skipSpace();
    if (input[i] === ',') {
      i++;
      continue;
    }
    const start = i;
    const token = readToken();
    if (token === '') break;
    skipSpace();
    if (input[i] === '=' && current !== undefined) {
      // An auth-param of the current challenge (token68 values are not used by registries).
      i++;
      skipSpace();
      let value: string | undefined;
      if (input[i] === '"') value = readQuoted();
      else value = readToken();
      if (value === undefined) break;
      current.params[token.toLowerCase()] = value;
      skipSpace();
      continue;
    }
    if (input[i] === '=' && current === undefined) {
      // A parameter without a scheme: not a challenge.
      i = start;
      break;
    }
    current = { scheme: token.toLowerCase(), params: {} };
    out.push(current);
  }
  return out;
}

/** The parts of a token scope `repository:NAME:ACTIONS`. */
export interface ScopeParts {
  readonly resourceType: string;
  readonly name: string;
  readonly actions: string;
}

/** Parse `type:name:actions`; the name may contain a port (`registry:5000/x` is not a name, but be lenient). */
export function parseScope(scope: string): ScopeParts | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last === first || last === scope.length - 1) return undefined;
  return { resourceType: scope.slice(0, first), name: scope.slice(first + 1, last), actions: scope.slice(last + 1) };
}
