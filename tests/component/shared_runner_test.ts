/**
 * The components on a shared shell runner, through gitlab-ci-local with
 * nothing on PATH but what a runner has: the helper is downloaded from a
 * registry (signed with a throwaway key the pipeline names), verified by the
 * job's Nix and kept once for the user; after a `nix-build` job and a
 * `watch-store` job, nothing holds the token, no per-job copy or state is
 * left, and the second job reused the kept helper. And the end of a mixin
 * job fits a 30-second after_script budget, with what is left pushed later.
 */

import { assert, assertEquals, assertIncludes } from "../helpers/assert.ts";
import {
  type ComponentProject,
  componentProject,
  selfInclude,
} from "../helpers/gitlab_ci_local.ts";
import { ROOT, sh, storePathsOf } from "../helpers/nix.ts";
import { startRegistry } from "../helpers/package_registry.ts";
import { signedHelper, testKey } from "../helpers/signed_release.ts";
import { type AtticServer, startAtticServer } from "../attic_server/server.ts";
import { signToken } from "../attic_server/tokens.ts";
import { randomSecret } from "../helpers/attic.ts";
import { hashOf } from "../helpers/attic_api.ts";
import { v8FlagsArgument } from "../../src/system/v8_flags.ts";

/** This machine's Nix system, as the helper step names it. */
const SYSTEM = `${Deno.build.arch}-${Deno.build.os === "darwin" ? "darwin" : "linux"}`;

/** A server with a private cache `main`, and a token with pull and push on it. */
async function attic(
  dir: string,
  network?: { latencyMs: number; bandwidthBps: number | null },
): Promise<{ server: AtticServer; token: string }> {
  const secret = randomSecret();
  const server = await startAtticServer({
    secret,
    caches: { main: {} },
    dir,
    ...(network ? { network } : {}),
  });
  return { server, token: await signToken(secret, { main: { r: 1, w: 1 } }) };
}

/** Every file under `dirs` that holds `secret`. */
async function filesHolding(secret: string, dirs: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for await (const entry of Deno.readDir(dir)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (entry.isFile && (await Deno.readTextFile(path).catch(() => "")).includes(secret)) {
        found.push(path);
      }
    }
  };
  for (const dir of dirs) await walk(dir).catch(() => {});
  return found;
}

/** The names in a job's TMPDIR that attic-ci put there. */
async function leftInTmp(project: ComponentProject): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(project.tmp)) {
    if (entry.name.startsWith("attic-ci")) names.push(entry.name);
  }
  return names.sort();
}

Deno.test("on a shell runner, a nix-build job and a mixin job leave no token and no per-job helper or state behind, and the second reuses the verified helper without downloading it", async () => {
  const project = await componentProject({ pipeline: "", helperOnPath: false, double: false });
  const registry = startRegistry();
  const { server, token } = await attic(project.scratch);
  try {
    const sha = (await sh("git", ["rev-parse", "HEAD"], { cwd: project.dir })).stdout.trim();
    // The helper as a runnable file (this checkout through deno), signed as a release is.
    const key = await testKey(project.scratch, "attic-ci-test-release-1");
    const helper = `#!/bin/sh\nexec '${Deno.execPath()}' run -A --quiet ${v8FlagsArgument()} ` +
      `'${ROOT}/src/main.ts' "$@"\n`;
    const files = await signedHelper(project.scratch, {
      body: helper,
      version: sha,
      system: SYSTEM,
      key,
    });
    for (const [name, bytes] of files) registry.put(`/mirror/${sha}/${name}`, bytes);
    const inputs = `      cache: main
      server: ${server.url}
      helper_url: ${registry.origin}/mirror
      helper_public_key: ${key.publicKey}`;
    await Deno.writeTextFile(
      `${project.dir}/.gitlab-ci.yml`,
      `include:
  - component: ${selfInclude("nix-build")}
    inputs:
${inputs}
      installables: [".#second"]
  - component: ${selfInclude("watch-store")}
    inputs:
${inputs}
mixin:
  extends: .attic-ci-watch-store
  needs: [nix-build]
  script:
    - nix --extra-experimental-features 'nix-command flakes' build --no-link .#default
`,
    );
    const result = await project.run([], { env: { ATTIC_TOKEN: token } });
    assertEquals(result.code, 0, result.output);

    const first = await project.jobLog("nix-build");
    assertIncludes(first, `verified attic-ci ${sha} for ${SYSTEM} from ${registry.origin}/mirror`);
    assertIncludes(first, `signed by ${key.name}`);
    const second = await project.jobLog("mixin");
    assertIncludes(second, `reusing attic-ci ${sha} for ${SYSTEM} kept in ${project.home}/.cache`);
    const nars = registry.requests.filter((r) => r.path.endsWith(".nar"));
    assertEquals(nars.length, 1, "the helper was downloaded once for both jobs");

    // Both jobs pushed their outputs.
    const stored = new Set(server.stored("main"));
    for (const tag of [`${project.world.tag}-b`, project.world.tag]) {
      for (const path of (await storePathsOf(tag)).valid) {
        assert(stored.has(hashOf(path)), `${path} is not in the cache`);
      }
    }
    assertEquals(
      await filesHolding(token, [project.tmp, project.home]),
      [],
      "files hold the token",
    );
    assertEquals(await leftInTmp(project), [], "a job left a helper copy or its state in TMPDIR");
  } finally {
    await server.close();
    await registry.close();
    await project.dispose();
  }
});

Deno.test("a mixin job's end fits a 30-second after_script budget: the report is printed, what is left is kept, and a later push uploads it", async () => {
  const project = await componentProject({ pipeline: "", double: false });
  // Every API request takes 1.5 s, one at a time: the 31 outputs need about a minute.
  const { server, token } = await attic(project.scratch, { latencyMs: 1_500, bandwidthBps: null });
  try {
    const stamps = project.scratch;
    await Deno.writeTextFile(
      `${project.dir}/.gitlab-ci.yml`,
      `include:
  - component: ${selfInclude("watch-store")}
    inputs:
      cache: main
      server: ${server.url}
      attic_client: api
build:
  extends: .attic-ci-watch-store
  variables:
    RUNNER_AFTER_SCRIPT_TIMEOUT: 30s
    ATTIC_CI_ATTIC_JOBS: "1"
    ATTIC_CI_PUSH_JOBS: "1"
    ATTIC_CI_STATE_DIR: ${stamps}/state
  script:
    - nix build --no-link .#default
  after_script:
    - date +%s%N > ${stamps}/after-started
    - !reference [.attic-ci-watch-store, after_script]
    - date +%s%N > ${stamps}/after-ended
`,
    );
    const result = await project.run([], { env: { ATTIC_TOKEN: token } });
    assertEquals(result.code, 0, result.output);
    const log = await project.jobLog("build");
    const seconds = (Number(await Deno.readTextFile(`${stamps}/after-ended`)) -
      Number(await Deno.readTextFile(`${stamps}/after-started`))) / 1e9;
    assert(seconds <= 30, `after_script took ${seconds.toFixed(1)} s of its 30`);
    assertIncludes(log, "finishing within");
    assertIncludes(log, "RUNNER_AFTER_SCRIPT_TIMEOUT=30s");
    assertIncludes(log, "watch-store pushed");
    assertIncludes(log, `the state is kept in ${stamps}/state`);
    const outputs = (await storePathsOf(project.world.tag)).valid;
    const early = new Set(server.stored("main"));
    assert(outputs.some((p) => !early.has(hashOf(p))), "everything was pushed in time after all");

    // A later push (a retried job, or by hand) finishes it.
    const later = await sh(`${project.bin}/attic-ci`, [
      "push",
      "--state-dir",
      `${stamps}/state`,
    ], { env: { ATTIC_TOKEN: token }, cwd: project.dir });
    assertEquals(later.code, 0, later.stderr);
    const stored = new Set(server.stored("main"));
    for (const path of outputs) assert(stored.has(hashOf(path)), `${path} never reached the cache`);
  } finally {
    await server.close();
    await project.dispose();
  }
});
