/**
 * The engine configuration: defaults, units, and one ConfigError naming the
 * input the user actually wrote (flag or variable).
 */

import { engineConfig, savedOptions } from "../../src/options/engine_config.ts";
import { ENGINE_OPTIONS } from "../../src/options/option_specs.ts";
import { parseCommandArgs } from "../../src/options/parse_args.ts";
import { ConfigError } from "../../src/errors.ts";
import { assertEquals, assertIncludes, assertRejects } from "../helpers/assert.ts";

async function config(argv: string[], env: Record<string, string> = {}) {
  return engineConfig(await parseCommandArgs(argv, ENGINE_OPTIONS, env), env);
}

const NIX_COPY = ["--backend", "nix-copy", "--to", "file:///tmp/cache"];

Deno.test("engineConfig() fills in every default, in milliseconds where it counts time", async () => {
  const c = await config(NIX_COPY, { TMPDIR: "/tmp/x", CI_JOB_ID: "77" });
  assertEquals(c.backend, "nix-copy");
  assertEquals(c.tokenVariable, "ATTIC_TOKEN");
  assertEquals(c.storeDir, "/nix/store");
  assertEquals([c.batchIdleMs, c.batchMaxWaitMs, c.batchMaxSize], [100, 2_000, 100]);
  assertEquals([c.pushJobs, c.atticJobs, c.retries, c.retryDelayMs], [2, 5, 3, 1_000]);
  assertEquals([c.pushTimeoutMs, c.drainTimeoutMs, c.bootstrapTimeoutMs], [
    300_000,
    600_000,
    180_000,
  ]);
  assertEquals(c.stateDir, `/tmp/x/attic-ci-${Deno.uid()}-job-77`);
  assertEquals([c.strict, c.reportFile, c.exclude], [false, null, []]);
});

Deno.test("engineConfig() takes variables, lets flags beat them, and trims trailing slashes", async () => {
  const c = await config([...NIX_COPY, "--push-jobs", "4", "--store-dir", "/nix/store/"], {
    ATTIC_CI_PUSH_JOBS: "9",
    ATTIC_CI_BATCH_IDLE: "0.25",
    ATTIC_CI_EXCLUDE: "-source$\n\\.tar$\n",
    ATTIC_CI_STRICT: "true\n",
  });
  assertEquals([c.pushJobs, c.batchIdleMs, c.storeDir, c.strict], [4, 250, "/nix/store", true]);
  assertEquals(c.exclude.map((r) => r.source), ["-source$", "\\.tar$"]);
});

Deno.test("engineConfig() names the variable or flag a bad value came from, with the value", async () => {
  const fromVariable = await assertRejects(() => config(NIX_COPY, { ATTIC_CI_RETRIES: "-1" }));
  assertEquals((fromVariable as ConfigError).option, "ATTIC_CI_RETRIES");
  assertIncludes(fromVariable.message, '"-1"');
  const fromFlag = await assertRejects(() => config([...NIX_COPY, "--drain-timeout", "0"]));
  assertEquals((fromFlag as ConfigError).option, "--drain-timeout");
  await assertRejects(
    () => config(["--cache", "a.b", "--server", "https://x/"]),
    "attic cache name",
  );
  await assertRejects(
    () => config(["--cache", "main"]),
    "--server: is required with --backend attic",
  );
  await assertRejects(
    () => config([...NIX_COPY, "--exclude", "("]),
    "not a valid regular expression",
  );
});

Deno.test("savedOptions() keeps what stop and push need, and never the token", async () => {
  const saved = savedOptions(
    await config(["--cache", "main", "--server", "https://attic.example.com/"], {
      ATTIC_TOKEN: "secret-do-not-save",
    }),
  );
  assertEquals(saved.cache, "main");
  assertEquals(saved["token-variable"], "ATTIC_TOKEN");
  assertEquals(JSON.stringify(saved).includes("secret-do-not-save"), false);
});
