/**
 * The README's component inputs table matches the templates' `spec:inputs`:
 * every input has a row saying which templates have it and its default, and
 * every row is an input. Every input has a description, and every string
 * input with a shape is constrained.
 */

import { parseAllDocuments } from "yaml";
import { assert, assertEquals, assertIncludes } from "../helpers/assert.ts";
import { ROOT } from "../helpers/nix.ts";

const TEMPLATES = ["nix-build", "watch-store", "use"] as const;

/** The column of the defaults, after one column per template. */
const DEFAULTS = TEMPLATES.length;

interface InputSpec {
  type?: string;
  default?: unknown;
  description?: string;
  regex?: string;
  options?: unknown[];
}

async function inputsOf(name: string): Promise<Record<string, InputSpec>> {
  const text = await Deno.readTextFile(`${ROOT}/templates/${name}.yml`);
  const header = parseAllDocuments(text)[0]!.toJS() as {
    spec: { inputs: Record<string, InputSpec> };
  };
  return header.spec.inputs;
}

function rowsOfInputsTable(readme: string): Map<string, string[]> {
  const start = readme.indexOf("### Inputs");
  const end = readme.indexOf("\n## ", start);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const rows = new Map<string, string[]>();
  for (const line of section.split("\n")) {
    const match = /^\| `([a-z_]+)` +\|(.*)\|$/.exec(line);
    if (match) rows.set(match[1]!, match[2]!.split("|").map((cell) => cell.trim()));
  }
  return rows;
}

function rendered(value: unknown): string {
  if (value === "") return '`""`';
  if (typeof value === "string") return `\`${value}\``;
  return `\`${JSON.stringify(value).replaceAll(",", ", ")}\``;
}

Deno.test("README lists every component input with its templates and defaults, and nothing else", async () => {
  const rows = rowsOfInputsTable(await Deno.readTextFile(`${ROOT}/README.md`));
  const seen = new Set<string>();
  for (const [column, template] of TEMPLATES.entries()) {
    for (const [name, spec] of Object.entries(await inputsOf(template))) {
      seen.add(name);
      const row = rows.get(name);
      assert(row !== undefined, `README has no row for input ${name}`);
      assertEquals(row[column], "✓", `input ${name} of ${template}`);
      assertIncludes(row[DEFAULTS]!, rendered(spec.default), `default of ${name} in ${template}`);
    }
  }
  for (const [name, row] of rows) {
    assert(seen.has(name), `README lists ${name}, which no template has`);
    for (const [column, template] of TEMPLATES.entries()) {
      if (row[column] !== "✓") continue;
      assert(name in (await inputsOf(template)), `README says ${template} has ${name}`);
    }
  }
});

Deno.test("every input has a description; string inputs with a shape have an anchored regex or options", async () => {
  const free = new Set(["exclude"]); // regular expressions: any text is a candidate
  for (const template of TEMPLATES) {
    for (const [name, spec] of Object.entries(await inputsOf(template))) {
      assert((spec.description ?? "").length > 10, `${template}: ${name} has no description`);
      if ((spec.type ?? "string") !== "string" || free.has(name)) continue;
      if (spec.options) continue;
      assert(spec.regex !== undefined, `${template}: ${name} has neither regex nor options`);
      assert(/^\^.*\$$/.test(spec.regex), `${template}: ${name}'s regex is not anchored`);
      if (spec.default !== undefined) {
        assert(
          new RegExp(spec.regex).test(String(spec.default)),
          `${template}: ${name}'s default does not match its own regex`,
        );
      }
    }
  }
});
