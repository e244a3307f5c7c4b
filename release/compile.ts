/**
 * `deno task compile [--system S]… [--all] [--out DIR] [--dry-run]`: the one
 * place the helper is compiled. Runs `deno compile` for each platform into
 * `DIR/attic-ci-<system>`, then writes `DIR/SHA256SUMS` over every file there.
 * (`deno compile` downloads its runtime from Deno's server, so it runs in the
 * release pipeline, not on our development machines; `--dry-run` prints the
 * commands instead.)
 *
 * @module
 */

import { parseArgs } from "node:util";
import { CHECKSUMS_FILE, RELEASE_TARGETS, releaseFile, type ReleaseTarget } from "./targets.ts";

import { v8FlagsArgument } from "../src/system/v8_flags.ts";
const ENTRY = new URL("../src/main.ts", import.meta.url).pathname;

/** The `deno compile` command line of one platform. */
export function compileCommand(target: ReleaseTarget, outDir: string, deno = "deno"): string[] {
  return [
    deno,
    "compile",
    "--allow-all",
    "--no-prompt",
    v8FlagsArgument(),
    "--target",
    target.triple,
    "--output",
    `${outDir}/${releaseFile(target.system)}`,
    ENTRY,
  ];
}

/** The platforms named on the command line (`--all`: every one). Throws RangeError for an unknown one. */
export function selectTargets(systems: readonly string[], all: boolean): ReleaseTarget[] {
  if (all) return [...RELEASE_TARGETS];
  if (systems.length === 0) {
    throw new RangeError("Cannot compile nothing: pass --system SYSTEM (repeatable) or --all");
  }
  return systems.map((system) => {
    const target = RELEASE_TARGETS.find((t) => t.system === system);
    if (!target) {
      throw new RangeError(
        `Cannot compile for --system ${system}: expected one of ${
          RELEASE_TARGETS.map((t) => t.system).join(", ")
        }`,
      );
    }
    return target;
  });
}

/** Hex SHA-256 of a file. */
async function sha256File(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Writes `SHA256SUMS` in `dir` over every other file there, sorted, in
 * `sha256sum`'s format (`<hex>  <name>`), and returns its text.
 */
export async function writeChecksums(dir: string): Promise<string> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && entry.name !== CHECKSUMS_FILE) names.push(entry.name);
  }
  names.sort();
  let text = "";
  for (const name of names) text += `${await sha256File(`${dir}/${name}`)}  ${name}\n`;
  await Deno.writeTextFile(`${dir}/${CHECKSUMS_FILE}`, text);
  return text;
}

/** Runs the task; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      system: { type: "string", multiple: true },
      all: { type: "boolean" },
      out: { type: "string", default: "dist" },
      "dry-run": { type: "boolean" },
    },
  });
  const targets = selectTargets(values.system ?? [], values.all ?? false);
  const outDir = values.out!;
  await Deno.mkdir(outDir, { recursive: true });
  for (const target of targets) {
    const [program, ...rest] = compileCommand(target, outDir);
    console.log(`compile: ${[program, ...rest].join(" ")}`);
    if (values["dry-run"]) continue;
    const status = await new Deno.Command(program!, { args: rest }).spawn().status;
    if (!status.success) {
      console.error(`compile: deno compile for ${target.system} failed (exit ${status.code})`);
      return 1;
    }
  }
  if (values["dry-run"]) return 0;
  console.log(`compile: ${CHECKSUMS_FILE}:\n${await writeChecksums(outDir)}`);
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exitCode = await main(Deno.args);
  } catch (error) {
    console.error(`compile: ${error instanceof Error ? error.message : error}`);
    Deno.exitCode = 2;
  }
}
