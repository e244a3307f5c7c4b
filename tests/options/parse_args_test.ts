/**
 * List variables (`ATTIC_CI_INSTALLABLES`, `ATTIC_CI_NIX_FLAGS`): how GitLab
 * and gitlab-ci-local render an array input inside a string, or one value per
 * line; every item stays the text it was.
 */

import { listFromVariable } from "../../src/options/parse_args.ts";
import { ConfigError } from "../../src/errors.ts";
import { assertEquals, assertIncludes } from "../helpers/assert.ts";

const VAR = "ATTIC_CI_INSTALLABLES";

Deno.test("listFromVariable() reads a JSON array as gitlab-ci-local renders it, with a trailing newline", () => {
  assertEquals(
    listFromVariable(VAR, '[".#a","x\'y\\"z $(touch p) $HOME",".#b c"]\n'),
    [".#a", "x'y\"z $(touch p) $HOME", ".#b c"],
  );
});

Deno.test("listFromVariable() reads a flow sequence with or without quotes, as GitLab may render it", () => {
  assertEquals(listFromVariable(VAR, '[".#a", ".#b"]'), [".#a", ".#b"]);
  assertEquals(listFromVariable(VAR, "[.#packages.x86_64-linux.default, .#checks.all]"), [
    ".#packages.x86_64-linux.default",
    ".#checks.all",
  ]);
});

Deno.test("listFromVariable() keeps every item a string exactly as written (no numbers, no booleans)", () => {
  assertEquals(listFromVariable(VAR, "[1.10, true, null, 0x1]"), ["1.10", "true", "null", "0x1"]);
});

Deno.test("listFromVariable() reads one value per line and drops empty items", () => {
  assertEquals(listFromVariable(VAR, " .#a \n\n.#b\n"), [".#a", ".#b"]);
  assertEquals(listFromVariable(VAR, "[]\n"), []);
});

Deno.test("listFromVariable() names the variable when the list is malformed or holds non-strings", () => {
  for (const text of ['[".#a", ', '[".#a", {"b": 1}]', "[[.#a]]"]) {
    let error: unknown;
    try {
      listFromVariable(VAR, text);
    } catch (e) {
      error = e;
    }
    if (!(error instanceof ConfigError)) throw new Error(`no ConfigError for ${text}`);
    assertIncludes(error.message, `${VAR}: `);
    assertIncludes(error.message, '[".#a", ".#b"]');
  }
});
