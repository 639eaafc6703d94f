/** Strict JSON decoding for manifests. */

/** A JSON object as produced by `JSON.parse`. */
export type JsonObject = { [key: string]: unknown };

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decode UTF-8 (rejecting invalid sequences) and parse JSON; throws a `SyntaxError`/`TypeError` on failure. */
export function decodeJson(bytes: Uint8Array): unknown {
  return JSON.parse(utf8.decode(bytes)) as unknown;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether `obj` has `key` as an own member (as JSON.parse creates them). */
export function hasKey(obj: JsonObject, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

/** `obj[key]` if it is an own member, else undefined (so `__proto__` and friends are never consulted). */
export function member(obj: JsonObject, key: string): unknown {
  return hasKey(obj, key) ? obj[key] : undefined;
}
