/**
 * Minimal assertions for the tests (JSR's @std/assert is unreachable here).
 *
 * @module
 */

import { deepStrictEqual } from "node:assert/strict";

/** Fails with `message` unless `condition` holds. */
export function assert(condition: unknown, message = "assertion failed"): asserts condition {
  if (!condition) throw new Error(message);
}

/** Fails unless `actual` deeply equals `expected`. */
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  deepStrictEqual(actual, expected, message);
}

/** Fails unless `text` contains `part`. */
export function assertIncludes(text: string, part: string, message?: string): void {
  if (!text.includes(part)) {
    throw new Error(message ?? `expected to find ${JSON.stringify(part)} in:\n${text}`);
  }
}

/** Fails unless `fn` rejects with an error whose message contains `part`; returns the error. */
export async function assertRejects(fn: () => Promise<unknown>, part?: string): Promise<Error> {
  try {
    await fn();
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    if (part !== undefined && !e.message.includes(part)) {
      throw new Error(`expected an error containing ${JSON.stringify(part)}, got: ${e.message}`);
    }
    return e;
  }
  throw new Error("expected a rejection");
}

/** Fails unless `fn` throws an error whose message contains `part`; returns the error. */
export function assertThrows(fn: () => unknown, part?: string): Error {
  try {
    fn();
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    if (part !== undefined && !e.message.includes(part)) {
      throw new Error(`expected an error containing ${JSON.stringify(part)}, got: ${e.message}`);
    }
    return e;
  }
  throw new Error("expected an exception");
}
