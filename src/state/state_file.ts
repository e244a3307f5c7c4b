/**
 * Reading and writing the JSON files that pass between attic-ci processes:
 * each carries a `schema` field naming its kind and version, and is checked
 * against its zod schema on read. A missing file is null; anything else that
 * is not exactly what this helper writes is a {@linkcode StateFileError},
 * never a silent default.
 *
 * @module
 */

import type { z } from "zod";
import { StateFileError } from "../errors.ts";
import { readOptional, writePrivateFile } from "./state_dir.ts";

/** A hand-off file's schema: an object whose `schema` field is a version literal. */
export type HandOffSchema = z.ZodType<{ schema: string }>;

/** Writes `value` (0600, atomically). */
export async function writeStateFile<T extends { schema: string }>(
  path: string,
  value: T,
): Promise<void> {
  await writePrivateFile(path, JSON.stringify(value) + "\n");
}

/** Reads and validates `path`; null when it does not exist. */
export async function readStateFile<S extends HandOffSchema>(
  path: string,
  schema: S,
  expected: string,
): Promise<z.infer<S> | null> {
  const text = await readOptional(path);
  if (text === null) return null;
  return parseStateText(text, schema, expected, path);
}

/** Validates the text of a hand-off file (or variable) named `source`. */
export function parseStateText<S extends HandOffSchema>(
  text: string,
  schema: S,
  expected: string,
  source: string,
): z.infer<S> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new StateFileError(source, `is not JSON: it is not a file attic-ci wrote`);
  }
  const found = (json as { schema?: unknown } | null)?.schema;
  if (found !== expected) {
    throw new StateFileError(
      source,
      typeof found === "string"
        ? `is ${found}, not ${expected}: it was written by another attic-ci version`
        : `has no schema ${expected}: it is not a file attic-ci wrote`,
    );
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new StateFileError(
      source,
      `is not a valid ${expected} (${issue.path.join(".") || "top level"}: ${issue.message})`,
    );
  }
  return result.data;
}
