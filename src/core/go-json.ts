/**
 * JSON text as Go's encoding/json writes it, so our output can equal skopeo's byte for byte:
 * HTML-sensitive characters escaped (`<` → `\u003c`), U+2028/U+2029 escaped, map keys sorted, and
 * `MarshalIndent` layout. Objects keep the insertion order of their keys (Go struct field order);
 * use `goMap()` for values Go marshals as maps (keys sorted).
 */

const mapMarker = Symbol('goMap');

/** Mark an object as a Go map: its keys are written in sorted order. */
export function goMap<T extends Record<string, unknown>>(value: T): T {
  Object.defineProperty(value, mapMarker, { value: true, enumerable: false });
  return value;
}

function escapeString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function encode(value: unknown, indent: string, level: number): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return escapeString(value);
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  const nl = indent === '' ? '' : '\n';
  const pad = indent.repeat(level + 1);
  const close = indent.repeat(level);
  const sep = indent === '' ? ':' : ': ';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[${nl}${value.map((v) => pad + encode(v, indent, level + 1)).join(`,${nl}`)}${nl}${close}]`;
  }
  if (typeof value === 'object') {
    const obj = value as Record<string | symbol, unknown>;
    let keys = Object.keys(obj).filter((k) => obj[k] !== undefined);
    if (obj[mapMarker] === true) keys = keys.sort();
    if (keys.length === 0) return '{}';
    return `{${nl}${keys.map((k) => pad + escapeString(k) + sep + encode(obj[k], indent, level + 1)).join(`,${nl}`)}${nl}${close}}`;
  }
  throw new TypeError(`cannot encode a ${typeof value} as JSON`);
}

/** Go's json.Marshal (compact). Properties whose value is `undefined` are omitted (omitempty). */
export function goMarshal(value: unknown): string {
  return encode(value, '', 0);
}

/** Go's json.MarshalIndent(value, "", indent). */
export function goMarshalIndent(value: unknown, indent = '    '): string {
  return encode(value, indent, 0);
}

/**
 * A timestamp as Go's time.Time marshals it (RFC 3339 with nanoseconds, trailing zeros trimmed), from the
 * RFC 3339 string found in an image config. Returns undefined when the text is not a valid timestamp.
 */
export function goTimeString(text: string): string | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$/.exec(text);
  if (m === null) return undefined;
  const [, date, time, frac, zone] = m as unknown as [string, string, string, string | undefined, string];
  let fraction = (frac ?? '').slice(0, 9).replace(/0+$/, '');
  if (fraction !== '') fraction = '.' + fraction;
  const z = zone.toUpperCase() === 'Z' || zone === '+00:00' ? 'Z' : zone;
  return `${date}T${time}${fraction}${z}`;
}
