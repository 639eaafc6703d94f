/**
 * Assertions on error codes: tests branch on `code`, as callers do, and never on message text alone.
 * Both helpers return the error so a test can also check a fragment of its message.
 */
import assert from 'node:assert/strict';

export type ErrorWithCode = Error & { readonly code: string };

function checkCode(err: unknown, code: string): ErrorWithCode {
  if (!(err instanceof Error)) {
    assert.fail(`expected an Error with code ${code}, got ${typeof err}: ${String(err)}`);
  }
  const actual: unknown = (err as { code?: unknown }).code;
  assert.equal(actual, code, `expected code ${code}, got ${String(actual)} (${err.name}: ${err.message})`);
  return err as ErrorWithCode;
}

/** Asserts that `fn` throws synchronously an error whose `code` is `code`. */
export function expectCode(fn: () => unknown, code: string): ErrorWithCode {
  let result: unknown;
  try {
    result = fn();
  } catch (err: unknown) {
    return checkCode(err, code);
  }
  if (result instanceof Promise) {
    assert.fail(`expected code ${code}: the function returned a promise; use expectCodeAsync`);
  }
  assert.fail(`expected an error with code ${code}, but nothing was thrown`);
}

/** Asserts that `fn` rejects (or throws) with an error whose `code` is `code`. */
export async function expectCodeAsync(fn: () => Promise<unknown>, code: string): Promise<ErrorWithCode> {
  try {
    await fn();
  } catch (err: unknown) {
    return checkCode(err, code);
  }
  assert.fail(`expected a rejection with code ${code}, but the promise resolved`);
}
