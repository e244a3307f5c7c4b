/**
 * The attic token comes from the variable the user names (`--token-variable`,
 * default ATTIC_TOKEN): its value, or for a File-type variable the file it
 * points to. Anything wrong with it is a configuration error: exit 2 with one
 * line naming the variable, and the value itself never printed.
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

Deno.test("readToken() throws ConfigError naming the variable, never its value", async () => {
  const missing = `/nonexistent/${randomSecret()}`;
  for (
    const [env, part] of [
      [{}, "is not set"],
      [{ T: "" }, "is empty"],
      [{ T: " \n" }, "is empty"],
      [{ T: missing }, "does not exist"],
    ] as const
  ) {
    const error = await assertRejects(() => readToken("T", env), part);
    assert(error instanceof ConfigError, `${error.name}: ${error.message}`);
    assertEquals(error.option, "--token-variable (T)");
    assert(!error.message.includes(missing), "the value is not repeated");
  }
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

Deno.test("an unset token variable exits 2 naming it: ATTIC_TOKEN by default, or the one given", async () => {
  await expectTokenError({ env: cleanEnv(), clearEnv: true }, [
    "--token-variable (ATTIC_TOKEN)",
    "ATTIC_TOKEN is not set",
  ]);
  await expectTokenError({ env: {}, args: ["--token-variable", "MY_UNSET_ATTIC_TOKEN"] }, [
    "--token-variable (MY_UNSET_ATTIC_TOKEN)",
    "is not set",
  ]);
});

Deno.test("an empty or blank token variable exits 2 saying it is empty", async () => {
  await expectTokenError({ env: { ATTIC_TOKEN: "" } }, ["ATTIC_TOKEN", "is empty"]);
  await expectTokenError({ env: { ATTIC_TOKEN: "  \n" } }, ["ATTIC_TOKEN", "is empty"]);
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

Deno.test("start, watch and push check the token the same way before doing anything", async () => {
  for (const command of ["start", "watch", "push"]) {
    await expectTokenError({ env: { ATTIC_TOKEN: "" }, command }, ["ATTIC_TOKEN", "is empty"]);
  }
});
