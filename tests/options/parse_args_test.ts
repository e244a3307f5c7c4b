/**
 * List variables (`ATTIC_CI_INSTALLABLES`, `ATTIC_CI_NIX_FLAGS`): how GitLab
 * and gitlab-ci-local render an array input inside a string, or one value per
 * line; every item stays the text it was.
 */

import { listFromVariable } from "../../src/options/parse_args.ts";
import { ConfigError } from "../../src/errors.ts";
import { assertEquals, assertIncludes } from "../helpers/assert.ts";

const VAR = "ATTIC_CI_INSTALLABLES";

Deno.test("listFromVariable() reads a JSON array as gitlab-ci-local renders it, with a trailing newline", async () => {
  assertEquals(
    await listFromVariable(VAR, '[".#a","x\'y\\"z $(touch p) $HOME",".#b c"]\n'),
    [".#a", "x'y\"z $(touch p) $HOME", ".#b c"],
  );
});

Deno.test("listFromVariable() reads a flow sequence with or without quotes, as GitLab may render it", async () => {
  assertEquals(await listFromVariable(VAR, '[".#a", ".#b"]'), [".#a", ".#b"]);
  assertEquals(await listFromVariable(VAR, "[.#packages.x86_64-linux.default, .#checks.all]"), [
    ".#packages.x86_64-linux.default",
    ".#checks.all",
  ]);
});

Deno.test("listFromVariable() keeps every item a string exactly as written (no numbers, no booleans)", async () => {
  assertEquals(await listFromVariable(VAR, "[1.10, true, null, 0x1]"), [
    "1.10",
    "true",
    "null",
    "0x1",
  ]);
  // Valid JSON, but not all strings: read as YAML, so the numbers stay as written too.
  assertEquals(await listFromVariable(VAR, '[".#a", 1.10, true]'), [".#a", "1.10", "true"]);
});

Deno.test("listFromVariable() reads a JSON array's escapes as YAML would (the fast path changes no item)", async () => {
  const text = '["caf\\u00e9", "a\\/b", "tab\\there", "quote \\" and \\\\", ""]';
  const { parse } = await import("yaml");
  const asYaml = (parse(text, { schema: "failsafe" }) as string[]).filter((item) => item !== "");
  assertEquals(await listFromVariable(VAR, text), asYaml);
  assertEquals(asYaml, ["café", "a/b", "tab\there", 'quote " and \\']);
});

Deno.test("listFromVariable() reads one value per line and drops empty items", async () => {
  assertEquals(await listFromVariable(VAR, " .#a \n\n.#b\n"), [".#a", ".#b"]);
  assertEquals(await listFromVariable(VAR, "[]\n"), []);
});

Deno.test("listFromVariable() names the variable when the list is malformed or holds non-strings", async () => {
  for (const text of ['[".#a", ', '[".#a", {"b": 1}]', "[[.#a]]"]) {
    let error: unknown;
    try {
      await listFromVariable(VAR, text);
    } catch (e) {
      error = e;
    }
    if (!(error instanceof ConfigError)) throw new Error(`no ConfigError for ${text}`);
    assertIncludes(error.message, `${VAR}: `);
    assertIncludes(error.message, '[".#a", ".#b"]');
  }
});
