/**
 * The attic token comes from the variable the user names (`--token-variable`,
 * default ATTIC_TOKEN): its value, or for a File-type variable the file it
 * points to. No token at all (a protected variable in an unprotected
 * pipeline) turns pushing off with one line and the build runs; `--strict`
 * makes it an error. A token that is there but wrong is a configuration
 * error: exit 2 with one line naming the variable, the value never printed.
 */

import { readToken } from "../../src/attic/token.ts";
import { ConfigError } from "../../src/errors.ts";
import { exists, NO_CLIENT_INSTALLABLE, randomSecret, SERVER } from "../helpers/attic.ts";
import { assert, assertEquals, assertIncludes, assertRejects } from "../helpers/assert.ts";
import { runInProcess } from "../helpers/cli.ts";
import { tempDir } from "../helpers/nix.ts";

Deno.test("readToken() returns the variable's value, trimmed", async () => {
  assertEquals(await readToken("T", { T: "  abc.def.ghi\n" }), "abc.def.ghi");
});

Deno.test("readToken() reads a File-type variable: the file it names holds the token", async () => {
  const dir = await tempDir();
  try {
    const secret = randomSecret();
    await Deno.writeTextFile(`${dir}/file`, `${secret}\n\n`);
    assertEquals(await readToken("CI_TOKEN_FILE", { CI_TOKEN_FILE: `${dir}/file` }), secret);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readToken() gives no token for a variable that is unset, empty or blank", async () => {
  for (const env of [{}, { T: "" }, { T: " \n" }]) assertEquals(await readToken("T", env), null);
});

Deno.test("readToken() throws ConfigError naming the variable for a token file that is not there, never its value", async () => {
  const missing = `/nonexistent/${randomSecret()}`;
  const error = await assertRejects(() => readToken("T", { T: missing }), "does not exist");
  assert(error instanceof ConfigError, `${error.name}: ${error.message}`);
  assertEquals(error.option, "--token-variable (T)");
  assert(!error.message.includes(missing), "the value is not repeated");
});

/** Runs `exec … -- true` with the attic backend and expects exit 2 with one line. */
async function expectTokenError(
  options: {
    env: Record<string, string>;
    args?: string[];
    clearEnv?: boolean;
    command?: string;
  },
  mentions: string[],
  secret?: string,
): Promise<void> {
  const dir = await tempDir();
  try {
    const state = `${dir}/state`;
    const command = options.command ?? "exec";
    const result = await runInProcess(
      [
        command,
        "--cache",
        "main",
        "--server",
        SERVER,
        "--state-dir",
        state,
        "--bootstrap-installable",
        NO_CLIENT_INSTALLABLE,
        ...(options.args ?? []),
        ...(command === "exec" ? ["--", "true"] : []),
      ],
      { env: options.env, cwd: dir, ...(options.clearEnv ? { clearEnv: true } : {}) },
    );
    assertEquals(result.code, 2, result.stderr);
    const lines = result.stderr.trim().split("\n");
    assertEquals(lines.length, 1, `one line, got:\n${result.stderr}`);
    for (const part of mentions) assertIncludes(lines[0]!, part);
    assertEquals(result.stdout, "");
    if (secret !== undefined) {
      assert(!result.stderr.includes(secret), "the value is not printed");
    }
    assert(!(await exists(`${state}/token`)), "no token file was written");
    assert(!(await exists(`${state}/watcher.pid`)), "no watcher was started");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** An environment with none of the test runner's variables but what deno needs. */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "DENO_DIR"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return env;
}

Deno.test("without a token, exec runs the build, keeps its status, and says in one line that pushing is off", async () => {
  const dir = await tempDir();
  try {
    for (const env of [{}, { ATTIC_TOKEN: "" }, { ATTIC_TOKEN: "  \n" }]) {
      const result = await runInProcess([
        "exec",
        "--cache",
        "main",
        "--server",
        SERVER,
        "--state-dir",
        `${dir}/state`,
        "--no-pull",
        "--",
        "sh",
        "-c",
        "exit 3",
      ], { env: { ...cleanEnv(), ...env }, cwd: dir, clearEnv: true });
      assertEquals(result.code, 3, result.stderr);
      const off = result.stderr.split("\n").filter((l) => l.includes("pushing is off"));
      assertEquals(off.length, 1, result.stderr);
      assertIncludes(off[0]!, "ATTIC_TOKEN is");
      assertIncludes(off[0]!, "protected CI/CD variables are absent");
      assertIncludes(result.stderr, "watch-store pushed 0 store paths incrementally");
      assert(!result.stderr.includes("bootstrap"), "no attic client is fetched to push nothing");
      assert(!(await exists(`${dir}/state/token`)), "a token file was written");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("without a token, --strict exits 2 naming the variable before the build runs", async () => {
  await expectTokenError({ env: cleanEnv(), clearEnv: true, args: ["--strict"] }, [
    "--token-variable (ATTIC_TOKEN)",
    "ATTIC_TOKEN is not set, and --strict needs every path pushed",
  ]);
  await expectTokenError({ env: { ATTIC_TOKEN: "" }, args: ["--strict"] }, [
    "--token-variable (ATTIC_TOKEN)",
    "is empty",
  ]);
});

Deno.test("watch, which does nothing but push, exits 2 without a token", async () => {
  await expectTokenError({ env: { ATTIC_TOKEN: "" }, command: "watch" }, [
    "ATTIC_TOKEN is empty, and a watcher does nothing but push",
  ]);
});

Deno.test("a File-type variable naming a missing file exits 2, and the path (maybe a mistyped token) is not printed", async () => {
  const value = `/nonexistent/${randomSecret()}`;
  await expectTokenError({ env: { ATTIC_TOKEN: value } }, [
    "--token-variable (ATTIC_TOKEN)",
    "token file that does not exist",
  ], value);
});

Deno.test("a File-type variable naming an unreadable file exits 2", async () => {
  // The tests run as root, which reads a chmod 000 file anyway: a directory
  // is a token file that even root cannot read as text.
  const dir = await tempDir();
  try {
    await expectTokenError({ env: { ATTIC_TOKEN: dir } }, [
      "--token-variable (ATTIC_TOKEN)",
      "token file that cannot be read",
    ], dir);
    await Deno.writeTextFile(`${dir}/empty`, "\n");
    await expectTokenError({ env: { ATTIC_TOKEN: `${dir}/empty` } }, [
      "--token-variable (ATTIC_TOKEN)",
      "token file named by ATTIC_TOKEN is empty",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a bad --token-variable name exits 2 naming the flag or its variable, and no token is printed", async () => {
  const secret = randomSecret();
  await expectTokenError({ env: { ATTIC_TOKEN: secret }, args: ["--token-variable", "bad-name"] }, [
    "--token-variable",
    "variable name",
    '"bad-name"',
  ], secret);
  await expectTokenError({ env: { ATTIC_TOKEN: secret, ATTIC_CI_TOKEN_VARIABLE: "9LIVES" } }, [
    "ATTIC_CI_TOKEN_VARIABLE",
    "variable name",
    '"9LIVES"',
  ], secret);
});

Deno.test("start and push check a token file the same way before doing anything", async () => {
  const value = `/nonexistent/${randomSecret()}`;
  for (const command of ["start", "push"]) {
    await expectTokenError({ env: { ATTIC_TOKEN: value }, command }, [
      "--token-variable (ATTIC_TOKEN)",
      "token file that does not exist",
    ], value);
  }
});
