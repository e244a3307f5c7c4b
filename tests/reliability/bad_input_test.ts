/**
 * Bad input: every malformed flag or `ATTIC_CI_*` variable is one line naming
 * the input, and exit 2 — never a stack trace. A table of cases written by
 * hand, and a seeded random sweep that must never break the contract (the
 * cases and the contract: tests/reliability/bad_inputs.ts).
 */

import { assert, assertEquals } from "../helpers/assert.ts";
import { tempDir } from "../helpers/nix.ts";
import { mulberry32 } from "../../bench/graph.ts";
import { BAD_INPUTS, randomInput, tryInput } from "./bad_inputs.ts";

Deno.test(`${BAD_INPUTS.length} malformed flags and variables: each is exit 2 and one line naming it`, async () => {
  assert(BAD_INPUTS.length >= 50);
  const dir = await tempDir();
  try {
    for (const input of BAD_INPUTS) {
      const outcome = await tryInput(input, input.names, { cwd: dir, mustRefuse: true });
      const what = `${input.args.join(" ")} ${JSON.stringify(input.env ?? {})}`;
      assertEquals(outcome.problem, null, what);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a seeded random sweep of values: never a stack trace; a refusal is exit 2 and one line naming the input", async () => {
  const dir = await tempDir();
  const random = mulberry32(20261123);
  let refused = 0;
  try {
    for (let i = 0; i < 60; i++) {
      const input = randomInput(random, `${dir}/state`);
      const outcome = await tryInput(input, input.names, { cwd: dir, mustRefuse: false });
      assertEquals(outcome.problem, null, input.what);
      if (outcome.code === 2) refused++;
    }
    assert(refused >= 30, `only ${refused} of 60 random values were refused`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
