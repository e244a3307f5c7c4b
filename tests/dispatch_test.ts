/**
 * The command-line contract: bad input gets one clear line naming the option
 * and exit code 2; help and version go to stdout. In-process (the dispatcher
 * decides every exit code), plus one real process for the way out through
 * main.ts.
 */

import { assert, assertEquals, assertIncludes } from "./helpers/assert.ts";
import { nixCopyArgs, runCli, runInProcess } from "./helpers/cli.ts";
import { ROOT, tempDir } from "./helpers/nix.ts";

async function expectUsageError(
  args: string[],
  mentions: string[],
  env: Record<string, string> = {},
): Promise<string> {
  const result = await runInProcess(args, { env });
  assertEquals(result.code, 2, `exit code for ${args.join(" ")}: ${result.stderr}`);
  const lines = result.stderr.trim().split("\n");
  assertEquals(lines.length, 1, `one line, got:\n${result.stderr}`);
  for (const part of mentions) assertIncludes(lines[0]!, part);
  assertEquals(result.stdout, "");
  return lines[0]!;
}

Deno.test("an unknown backend exits 2 naming --backend and the choices", async () => {
  await expectUsageError(["exec", "--backend", "s3", "--", "true"], [
    "--backend",
    "attic or nix-copy",
    '"s3"',
  ]);
});

Deno.test("nix-copy without --to exits 2 saying how to fix it", async () => {
  await expectUsageError(["exec", "--backend", "nix-copy", "--", "true"], [
    "--to",
    "required",
    "file://",
  ]);
});

Deno.test("a non-number where a number belongs exits 2 naming the flag", async () => {
  await expectUsageError(
    [
      "exec",
      "--backend",
      "nix-copy",
      "--to",
      "file:///tmp/x",
      "--batch-idle",
      "soon",
      "--",
      "true",
    ],
    ["--batch-idle", "seconds", '"soon"'],
  );
  await expectUsageError(
    ["exec", "--backend", "nix-copy", "--to", "file:///tmp/x", "--push-jobs", "0", "--", "true"],
    ["--push-jobs", "at least 1"],
  );
});

Deno.test("a bad value from a variable names the variable", async () => {
  await expectUsageError(["exec", "--", "true"], ["ATTIC_CI_BATCH_MAX_SIZE", "whole number"], {
    ATTIC_CI_BACKEND: "nix-copy",
    ATTIC_CI_TO: "file:///tmp/x",
    ATTIC_CI_BATCH_MAX_SIZE: "lots",
  });
  await expectUsageError(["exec", "--", "true"], ["ATTIC_CI_STRICT", "true or false"], {
    ATTIC_CI_STRICT: "maybe",
  });
});

Deno.test("a flag beats its variable", async () => {
  const dir = await tempDir();
  const result = await runInProcess([
    "exec",
    ...nixCopyArgs(dir),
    "--",
    "true",
  ], { env: { ATTIC_CI_BACKEND: "bogus" }, cwd: dir });
  assertEquals(result.code, 0, result.stderr);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("unknown options, unknown commands and a missing build command exit 2", async () => {
  await expectUsageError(["exec", "--frobnicate", "--", "true"], [
    "--frobnicate",
    "unknown option",
  ]);
  await expectUsageError(["deploy"], ["deploy", "unknown command"]);
  await expectUsageError(["exec", "--backend", "nix-copy", "--to", "file:///tmp/x"], [
    "COMMAND",
    "after --",
  ]);
  await expectUsageError([
    "exec",
    "--exclude",
    "(",
    "--backend",
    "nix-copy",
    "--to",
    "/x",
    "--",
    "true",
  ], [
    "--exclude",
    "regular expression",
  ]);
});

Deno.test("the attic backend needs a cache and a server", async () => {
  await expectUsageError(["exec", "--server", "https://attic.example.com", "--", "true"], [
    "--cache",
    "required",
  ]);
  await expectUsageError(["exec", "--cache", "main", "--", "true"], ["--server", "required"]);
  await expectUsageError(
    ["exec", "--cache", "main", "--server", "attic.example.com", "--", "true"],
    [
      "--server",
      "http",
    ],
  );
});

Deno.test("--help and --version print to stdout and exit 0", async () => {
  const help = await runInProcess(["--help"]);
  assertEquals(help.code, 0);
  assertIncludes(help.stdout, "Usage: attic-ci COMMAND");
  for (
    const command of ["exec", "build", "start", "stop", "push", "watch", "bootstrap", "status"]
  ) {
    const result = await runInProcess([command, "--help"]);
    assertEquals(result.code, 0, `${command} --help`);
    assertIncludes(result.stdout, `Usage: attic-ci ${command}`);
    // The top-level help lists every command.
    assertIncludes(help.stdout, `\n  ${command} `);
  }
  const exec = await runInProcess(["exec", "--help"]);
  assertIncludes(exec.stdout, "--token-variable NAME");
  assertIncludes(exec.stdout, "ATTIC_CI_TOKEN_VARIABLE");
  // One source of truth: the version in deno.json, also after a command, as its help says.
  const { version: declared } = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
  for (
    const args of [["--version"], ["exec", "--version", "--", "false"], ["status", "--version"]]
  ) {
    const version = await runInProcess(args);
    assertEquals([version.code, version.stdout], [0, `attic-ci ${declared}\n`], args.join(" "));
  }
  const bare = await runInProcess([]);
  assertEquals(bare.code, 2, "no command at all is a usage error");
});

Deno.test("a real process exits with the dispatcher's code: 2 and one line for bad usage, 0 for --version", async () => {
  const bad = await runCli(["exec", "--backend", "s3", "--", "true"]);
  assertEquals(bad.code, 2);
  assertEquals(bad.stderr.trim().split("\n").length, 1, bad.stderr);
  assertIncludes(bad.stderr, "--backend");
  const version = await runCli(["--version"]);
  assertEquals(version.code, 0);
  assert(/^attic-ci \d+\.\d+\.\d+\n$/.test(version.stdout), version.stdout);
});
