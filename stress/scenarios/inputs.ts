/**
 * Bad input at scale: every hand-written malformed flag and variable, and a
 * larger seeded random sweep than the tests run, each checked against the
 * contract (exit 2, one line naming the input, never a stack trace).
 *
 * @module
 */

import { tempDir } from "../../tests/helpers/nix.ts";
import { mulberry32 } from "../../bench/graph.ts";
import { BAD_INPUTS, randomInput, tryInput } from "../../tests/reliability/bad_inputs.ts";
import type { InputsResult } from "../results.ts";

/** Tries the table and `random` seeded random inputs. */
export async function runInputs(
  random: number,
  seed: number,
  log: (line: string) => void,
): Promise<InputsResult> {
  const dir = await tempDir("attic-ci-stress-inputs-");
  const problems: string[] = [];
  let refused = 0;
  let accepted = 0;
  let stackTraces = 0;
  const count = (what: string, outcome: { code: number; problem: string | null }) => {
    if (outcome.code === 2) refused++;
    else accepted++;
    if (outcome.problem?.startsWith("a stack trace")) stackTraces++;
    if (outcome.problem !== null) problems.push(`${what}: ${outcome.problem.split("\n")[0]}`);
  };
  try {
    log(`${BAD_INPUTS.length} hand-written bad inputs`);
    for (const input of BAD_INPUTS) {
      const outcome = await tryInput(input, input.names, { cwd: dir, mustRefuse: true });
      count(`${input.args.join(" ")} ${JSON.stringify(input.env ?? {})}`, outcome);
    }
    log(`${random} random inputs (seed ${seed})`);
    const next = mulberry32(seed);
    for (let i = 0; i < random; i++) {
      const input = randomInput(next, `${dir}/state`);
      count(input.what, await tryInput(input, input.names, { cwd: dir, mustRefuse: false }));
    }
    return {
      handWritten: BAD_INPUTS.length,
      random,
      seed,
      refused,
      accepted,
      stackTraces,
      problems,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
