/**
 * The README's options table matches the option table the parser uses.
 */

import { ENGINE_OPTIONS, variableName } from "../../src/options/option_specs.ts";
import { assertIncludes } from "../helpers/assert.ts";
import { ROOT } from "../helpers/nix.ts";

Deno.test("README documents every option with its variable and default", async () => {
  const readme = await Deno.readTextFile(`${ROOT}/README.md`);
  for (const spec of ENGINE_OPTIONS) {
    const row = readme.split("\n").find((line) =>
      line.startsWith(`| \`--${spec.flag} `) || line.startsWith(`| \`--${spec.flag}\``)
    );
    if (row === undefined) throw new Error(`README has no row for --${spec.flag}`);
    assertIncludes(row, `\`${variableName(spec.flag)}\``, `variable of --${spec.flag}`);
    if (spec.default !== undefined) {
      assertIncludes(row, `\`${spec.default}\``, `default of --${spec.flag}`);
    }
  }
});
