/**
 * Bad input: every malformed flag or `ATTIC_CI_*` variable is one line naming
 * the input, and exit 2 — never a stack trace. A table of cases written by
 * hand, and a seeded random sweep that must never break the contract.
 */

import { assert, assertEquals, assertIncludes } from "../helpers/assert.ts";
import { runInProcess } from "../helpers/cli.ts";
import { tempDir } from "../helpers/nix.ts";

/** One malformed input: the command line, the variables, and what the one line must name. */
export interface BadInput {
  readonly args: string[];
  readonly env?: Record<string, string>;
  readonly names: string;
}

const COPY = ["--backend", "nix-copy", "--to", "file:///tmp/attic-ci-bad-input-cache"];
const ATTIC = ["--cache", "main", "--server", "https://attic.example.com/"];
const exec = (...args: string[]): string[] => ["exec", ...COPY, ...args, "--", "true"];
/** A bad variable, with nix-copy configured by variables too (a flag would beat it). */
const execEnv = (names: string, value: string): BadInput => ({
  args: ["exec", "--", "true"],
  env: {
    ATTIC_CI_BACKEND: "nix-copy",
    ATTIC_CI_TO: "file:///tmp/attic-ci-bad-input-cache",
    [names]: value,
  },
  names,
});

/** The hand-written cases (exported: the stress task counts them in docs/reliability.md). */
export const BAD_INPUTS: readonly BadInput[] = [
  { args: ["exec", "--backend", "s3", "--", "true"], names: "--backend" },
  { args: ["exec", "--backend=", "--", "true"], names: "--backend" },
  {
    args: ["exec", "--backend", "nix-copy", "--to", "relative/cache", "--", "true"],
    names: "--to",
  },
  { args: ["exec", "--backend", "nix-copy", "--to", "file://a b", "--", "true"], names: "--to" },
  { args: ["exec", "--backend", "nix-copy", "--", "true"], names: "--to" },
  { args: ["exec", "--cache", "a b", "--server", "https://x/", "--", "true"], names: "--cache" },
  { args: ["exec", "--cache=-x", "--server", "https://x/", "--", "true"], names: "--cache" },
  { args: ["exec", "--cache", "a.b", "--server", "https://x/", "--", "true"], names: "--cache" },
  {
    args: ["exec", "--cache", "a".repeat(51), "--server", "https://x/", "--", "true"],
    names: "--cache",
  },
  { args: ["exec", "--server", "https://x/", "--", "true"], names: "--cache" },
  { args: ["exec", "--cache", "main", "--", "true"], names: "--server" },
  { args: ["exec", "--cache", "main", "--server", "ftp://x/", "--", "true"], names: "--server" },
  { args: ["exec", "--cache", "main", "--server", "http:// x", "--", "true"], names: "--server" },
  { args: ["exec", "--cache", "main", "--server=", "--", "true"], names: "--server" },
  { args: ["exec", ...ATTIC, "--token-variable", "1ABC", "--", "true"], names: "--token-variable" },
  { args: ["exec", ...ATTIC, "--token-variable", "A-B", "--", "true"], names: "--token-variable" },
  {
    args: ["exec", ...ATTIC, "--token-variable", "NO_SUCH_TOKEN_VAR", "--", "true"],
    names: "NO_SUCH_TOKEN_VAR",
  },
  { args: exec("--bootstrap-installable="), names: "--bootstrap-installable" },
  { args: exec("--bootstrap-timeout", "0"), names: "--bootstrap-timeout" },
  { args: exec("--bootstrap-timeout=-1"), names: "--bootstrap-timeout" },
  { args: exec("--bootstrap-timeout", "soon"), names: "--bootstrap-timeout" },
  { args: exec("--state-dir", "relative/state"), names: "--state-dir" },
  { args: exec("--store-dir", "nix/store"), names: "--store-dir" },
  { args: exec("--store-dir", "/nix/my store"), names: "--store-dir" },
  { args: exec("--exclude", "("), names: "--exclude" },
  { args: exec("--exclude", "["), names: "--exclude" },
  { args: exec("--exclude", "*"), names: "--exclude" },
  { args: exec("--report="), names: "--report" },
  { args: exec("--batch-idle=-1"), names: "--batch-idle" },
  { args: exec("--batch-idle", "1e3"), names: "--batch-idle" },
  { args: exec("--batch-max-wait", "x"), names: "--batch-max-wait" },
  { args: exec("--batch-max-size", "0"), names: "--batch-max-size" },
  { args: exec("--batch-max-size", "1.5"), names: "--batch-max-size" },
  { args: exec("--push-jobs", "0"), names: "--push-jobs" },
  { args: exec("--push-jobs=-2"), names: "--push-jobs" },
  { args: exec("--attic-jobs", "0"), names: "--attic-jobs" },
  { args: exec("--push-timeout", "0"), names: "--push-timeout" },
  { args: exec("--retries=-1"), names: "--retries" },
  { args: exec("--retries", "many"), names: "--retries" },
  { args: exec("--retry-delay", "NaN"), names: "--retry-delay" },
  { args: exec("--drain-timeout", "0"), names: "--drain-timeout" },
  { args: exec("--frobnicate"), names: "--frobnicate" },
  { args: exec("-x"), names: "-x" },
  { args: exec("--strict=yes"), names: "--strict" },
  { args: ["exec", ...COPY, "--cache"], names: "--cache" },
  { args: ["deploy"], names: "deploy" },
  { args: ["exec", ...COPY], names: "COMMAND" },
  { args: ["exec", ...COPY, "nix", "build", "--", "true"], names: "nix" },
  { args: ["stop", ...COPY, "--timeout", "0"], names: "--timeout" },
  { args: ["stop", ...COPY, "--timeout", "soon"], names: "--timeout" },
  { args: ["stop", ...COPY, "/nix/store/x"], names: "/nix/store/x" },
  { args: ["status", "extra"], names: "extra" },
  { args: ["bootstrap", "--bootstrap-timeout", "0"], names: "--bootstrap-timeout" },
  { args: ["push", ...COPY, "/not/in/the/store"], names: "PATH /not/in/the/store" },
  {
    args: ["build", ...COPY],
    env: { ATTIC_CI_INSTALLABLES: '[".#a",' },
    names: "ATTIC_CI_INSTALLABLES",
  },
  {
    args: ["build", ...COPY],
    env: { ATTIC_CI_NIX_FLAGS: '[{"a": 1}]' },
    names: "ATTIC_CI_NIX_FLAGS",
  },
  execEnv("ATTIC_CI_BACKEND", "s3"),
  execEnv("ATTIC_CI_STRICT", "maybe"),
  execEnv("ATTIC_CI_BATCH_MAX_SIZE", "lots"),
  execEnv("ATTIC_CI_PUSH_JOBS", "0"),
  execEnv("ATTIC_CI_TO", "relative"),
  execEnv("ATTIC_CI_STATE_DIR", "relative"),
  execEnv("ATTIC_CI_STORE_DIR", "relative"),
  execEnv("ATTIC_CI_RETRY_DELAY", "-5"),
  execEnv("ATTIC_CI_DRAIN_TIMEOUT", "never"),
  execEnv("ATTIC_CI_BOOTSTRAP_TIMEOUT", "0"),
  execEnv("ATTIC_CI_EXCLUDE", "(unclosed"),
  {
    args: ["exec", "--", "true"],
    env: { ATTIC_CI_CACHE: "x y", ATTIC_CI_SERVER: "https://x/" },
    names: "ATTIC_CI_CACHE",
  },
  {
    args: ["exec", "--", "true"],
    env: { ATTIC_CI_CACHE: "main", ATTIC_CI_SERVER: "x" },
    names: "ATTIC_CI_SERVER",
  },
  {
    args: ["exec", ...ATTIC, "--", "true"],
    env: { ATTIC_CI_TOKEN_VARIABLE: "9LIVES" },
    names: "ATTIC_CI_TOKEN_VARIABLE",
  },
  { args: ["exec", ...ATTIC, "--", "true"], env: { ATTIC_TOKEN: "" }, names: "ATTIC_TOKEN" },
];

/** Runs one input and checks the contract; returns the one line. */
async function expectOneLine(input: BadInput, cwd: string): Promise<string> {
  const result = await runInProcess(input.args, { env: input.env ?? {}, cwd, clearEnv: false });
  const what = `${input.args.join(" ")} ${JSON.stringify(input.env ?? {})}`;
  assertEquals(result.code, 2, `${what}: exit ${result.code}\n${result.stderr}`);
  const lines = result.stderr.trim().split("\n");
  assertEquals(lines.length, 1, `${what}: not one line:\n${result.stderr}`);
  const line = lines[0]!;
  assert(!/^\s+at /m.test(result.stderr) && !line.includes("Error:"), `${what}: a stack trace`);
  assertIncludes(line, input.names, what);
  assertEquals(result.stdout, "", what);
  return line;
}

Deno.test(`${BAD_INPUTS.length} malformed flags and variables: each is exit 2 and one line naming it`, async () => {
  assert(BAD_INPUTS.length >= 50);
  const dir = await tempDir();
  try {
    for (const input of BAD_INPUTS) await expectOneLine(input, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A small seeded generator (mulberry32): the same sweep on every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Options the sweep varies: none of them writes where a random value points. */
const SWEPT = [
  "batch-idle",
  "batch-max-wait",
  "batch-max-size",
  "push-jobs",
  "attic-jobs",
  "push-timeout",
  "retries",
  "retry-delay",
  "drain-timeout",
  "bootstrap-timeout",
  "exclude",
  "cache",
  "server",
  "token-variable",
  "backend",
];
const PIECES = [
  "",
  " ",
  "-",
  "--",
  "0",
  "1",
  "-1",
  "9".repeat(20),
  "1.5",
  "x",
  "é",
  "$(",
  "`",
  "'",
  '"',
  "(",
  "[",
  "*",
  "\\",
  "\n",
  "/",
  "http://",
  "%00",
];

/** A random value from pieces that make most options invalid and some valid. */
export function randomValue(random: () => number): string {
  let value = "";
  const parts = 1 + Math.floor(random() * 3);
  for (let i = 0; i < parts; i++) value += PIECES[Math.floor(random() * PIECES.length)];
  return value;
}

Deno.test("a seeded random sweep of values: never a stack trace; a refusal is exit 2 and one line naming the input", async () => {
  const dir = await tempDir();
  const random = seeded(20261123);
  let refused = 0;
  try {
    for (let i = 0; i < 60; i++) {
      const option = SWEPT[Math.floor(random() * SWEPT.length)]!;
      const value = randomValue(random);
      const viaVariable = random() < 0.5;
      const variable = `ATTIC_CI_${option.toUpperCase().replaceAll("-", "_")}`;
      const args = viaVariable
        ? ["exec", ...COPY, "--state-dir", `${dir}/state`, "--", "true"]
        : ["exec", ...COPY, "--state-dir", `${dir}/state`, `--${option}=${value}`, "--", "true"];
      const result = await runInProcess(args, {
        env: viaVariable ? { [variable]: value } : {},
        cwd: dir,
      });
      const what = `${viaVariable ? `${variable}=` : `--${option}=`}${JSON.stringify(value)}`;
      assert(!/^\s+at /m.test(result.stderr), `${what}: a stack trace:\n${result.stderr}`);
      assert([0, 2].includes(result.code), `${what}: exit ${result.code}\n${result.stderr}`);
      if (result.code !== 2) continue;
      refused++;
      const errors = result.stderr.trim().split("\n").filter((line) => line.includes("error:"));
      assertEquals(errors.length, 1, `${what}:\n${result.stderr}`);
      assert(
        errors[0]!.includes(viaVariable ? variable : `--${option}`) ||
          /--(cache|server|to)\b|ATTIC_TOKEN/.test(errors[0]!),
        `${what}: the line does not name the input: ${errors[0]}`,
      );
    }
    assert(refused >= 30, `only ${refused} of 60 random values were refused`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
