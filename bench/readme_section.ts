/**
 * The README's benchmark paragraph, drawn from the same results as
 * docs/benchmarks.md's headline, so the figures a reader sees first are the
 * documented run's. `writeDocs` puts it between README.md's
 * `<!-- bench:readme -->` markers; a docs test checks it is what these
 * results give.
 *
 * @module
 */

import { type BenchResults, headline } from "./results.ts";

/** The README's marker name: `<!-- bench:readme -->` … `<!-- /bench:readme -->`. */
export const README_SECTION = "readme";

/**
 * The paragraph: the headline, then where and when it was measured, wrapped
 * at `width` columns as `deno fmt` wraps README.md.
 *
 * @example
 * ```ts
 * readmeSection(results); // "On a 500-derivation build with a modelled network, …"
 * ```
 */
export function readmeSection(results: BenchResults, width = 100): string {
  const m = results.machine;
  const day = results.startedAt.slice(0, 10);
  const text = `${headline(results)} Measured on ${m.cores} cores (${m.cpu}, ${m.memoryGiB} GiB) ` +
    `with attic-ci ${m.atticCi}, Nix ${m.nix.replace(/^nix \(Nix\) /, "")} and Deno ${m.deno}, ` +
    `preset \`${results.preset}\`, on ${day}.`;
  return wrap(text, width);
}

/** Greedy word wrap: as many words per line as fit in `width`. */
function wrap(text: string, width: number): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter((w) => w !== "")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  if (line !== "") lines.push(line);
  return lines.join("\n");
}
