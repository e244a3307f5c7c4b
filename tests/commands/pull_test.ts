/**
 * The pull side from the command line, with real Nix and the Attic test
 * server: `use` prints what makes a shell's Nix substitute from a private
 * cache (signatures checked) and `clean` removes the token's file after it;
 * a public cache needs no token; a refused token is one warning (and exit 1
 * under --strict); `use --persist` sets up a user's own Nix. Backend
 * nix-copy pulls from a store URL that signs what it copies. A machine whose
 * Nix never ran (no store yet) streams from its first build.
 */

import { assert, assertEquals, assertIncludes } from "../helpers/assert.ts";
import { apiWorld } from "../helpers/attic_api.ts";
import { CACHE, randomSecret } from "../helpers/attic.ts";
import { readReport, runCli } from "../helpers/cli.ts";
import {
  buildGraph,
  deleteStorePathsOf,
  graphBuild,
  newTag,
  sh,
  storePathsOf,
  tempDir,
} from "../helpers/nix.ts";
import { startAtticServer } from "../attic_server/server.ts";

/** `use`'s arguments for the world's cache (no --attic-client: use reads the cache only). */
function useArgs(server: string, state: string, ...extra: string[]): string[] {
  return ["use", "--server", server, "--cache", CACHE, "--state-dir", state, ...extra];
}

/** Runs `script` in bash after `eval` of `exports`, as a job's shell does. */
async function inShell(exports: string, script: string): Promise<{ code: number; stderr: string }> {
  return await sh("bash", ["-c", `set -eo pipefail\neval "$ATTIC_CI_EXPORTS"\n${script}`], {
    env: { ATTIC_CI_EXPORTS: exports },
  });
}

Deno.test("use prints the NIX_CONFIG that makes a shell's nix-store -r --max-jobs 0 substitute a private cache's paths, and clean removes the netrc", async () => {
  const world = await apiWorld();
  try {
    const tag = newTag("use");
    const top = await buildGraph(tag, { width: 2, depth: 2 });
    const pushed = await runCli(["push", ...world.args(), top], { env: world.env });
    assertEquals(pushed.code, 0, pushed.stderr);
    const paths = (await storePathsOf(tag)).valid;
    assertEquals(paths.length, 5);
    await deleteStorePathsOf(tag);

    const use = await runCli(useArgs(world.server.url, world.state), { env: world.env });
    assertEquals(use.code, 0, use.stderr);
    assertIncludes(use.stdout, "export NIX_CONFIG='");
    assertIncludes(use.stderr, `pulling from ${world.server.url}main`);
    assert(!use.stdout.includes(world.token), "the token is not in the exports");
    assert(!use.stderr.includes(world.token), "nor in the log");
    assertEquals((await Deno.stat(`${world.state}/netrc`)).mode! & 0o777, 0o600);

    // The test's own NIX_CONFIG (no substituter) is kept, and ours added after it.
    const realised = await inShell(use.stdout, `nix-store -r ${top} --max-jobs 0`);
    assertEquals(realised.code, 0, realised.stderr);
    assertEquals((await storePathsOf(tag)).valid, paths, "every path came back");
    assert(!realised.stderr.includes("signature"), realised.stderr);

    const clean = await runCli(["clean", "--state-dir", world.state], { env: world.env });
    assertEquals(clean.code, 0, clean.stderr);
    assertIncludes(clean.stderr, `${world.state}/netrc`);
    assert(!(await Deno.stat(`${world.state}/netrc`).then(() => true, () => false)));
  } finally {
    await world.dispose();
  }
});

Deno.test("use reads a public cache without a token, and writes no netrc", async () => {
  const dir = await tempDir();
  const server = await startAtticServer({
    secret: randomSecret(),
    caches: { [CACHE]: { public: true } },
    dir,
  });
  try {
    const use = await runCli(useArgs(server.url, `${dir}/state`), {
      env: { PATH: "/usr/bin:/bin" },
    });
    assertEquals(use.code, 0, use.stderr);
    assertIncludes(use.stderr, "no token in ATTIC_TOKEN: reading the cache as anyone may");
    assertIncludes(use.stdout, `extra-substituters = ${server.url}main`);
    assertIncludes(use.stdout, `extra-trusted-public-keys = ${server.publicKey(CACHE)}`);
    assert(!use.stdout.includes("netrc-file"), "a public cache needs no netrc");
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("use with a token the cache refuses is one warning and exit 0; --strict makes it exit 1", async () => {
  const world = await apiWorld({ foreignToken: true });
  try {
    const use = await runCli(useArgs(world.server.url, world.state), { env: world.env });
    assertEquals(use.code, 0, use.stderr);
    assertEquals(use.stdout, "", "nothing to eval");
    const lines = use.stderr.trim().split("\n");
    assertEquals(lines.length, 1, use.stderr);
    assertIncludes(lines[0]!, "did not accept the token in ATTIC_TOKEN");
    const strict = await runCli(useArgs(world.server.url, world.state, "--strict"), {
      env: world.env,
    });
    assertEquals(strict.code, 1, strict.stderr);
  } finally {
    await world.dispose();
  }
});

Deno.test("use --persist sets a developer's own Nix up: nix.conf and a 0600 netrc in ~/.config/nix", async () => {
  const world = await apiWorld();
  const home = await tempDir();
  try {
    const env = { ...world.env, HOME: home };
    const use = await runCli(useArgs(world.server.url, world.state, "--persist"), { env });
    assertEquals(use.code, 0, use.stderr);
    assertEquals(use.stdout, "");
    const conf = await Deno.readTextFile(`${home}/.config/nix/nix.conf`);
    assertIncludes(conf, `extra-substituters = ${world.server.url}main`);
    assertIncludes(conf, `extra-trusted-public-keys = ${world.server.publicKey(CACHE)}`);
    assertIncludes(conf, `netrc-file = ${home}/.config/nix/netrc`);
    assert(!conf.includes(world.token), "nix.conf names the netrc, not the token");
    assertEquals((await Deno.stat(`${home}/.config/nix/netrc`)).mode! & 0o777, 0o600);
    const again = await runCli(useArgs(world.server.url, world.state, "--persist"), { env });
    assertIncludes(again.stderr, "already");
    assertEquals(await Deno.readTextFile(`${home}/.config/nix/nix.conf`), conf);
  } finally {
    await world.dispose();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("backend nix-copy to a store URL that signs: the next run substitutes what the last one pushed, and the report says so", async () => {
  const dir = await tempDir();
  try {
    const key = await sh("nix", [
      "--extra-experimental-features",
      "nix-command",
      "key",
      "generate-secret",
      "--key-name",
      "attic-ci-copy-test-1",
    ]);
    await Deno.writeTextFile(`${dir}/key.sec`, key.stdout);
    const tag = newTag("copy");
    const run = async (failAt: string) =>
      await runCli([
        "exec",
        "--backend",
        "nix-copy",
        "--to",
        `file://${dir}/cache?secret-key=${dir}/key.sec`,
        "--state-dir",
        `${dir}/state`,
        "--report",
        `${dir}/report.json`,
        "--",
        ...graphBuild(tag, { width: 3, depth: 3, failAt, sleep: "0" }),
        "--no-out-link",
      ], { cwd: dir });
    const first = await run("l1n1");
    assertEquals(first.code, 100, first.stderr);
    assertIncludes(
      first.stderr,
      `pulling from file://${dir}/cache (signatures by attic-ci-copy-test-1 required)`,
    );
    assert(!first.stderr.includes(`${dir}/key.sec`), "the key's path is not in the log");
    const finished = (await storePathsOf(tag)).valid;
    await deleteStorePathsOf(tag);

    const second = await run("");
    assertEquals(second.code, 0, second.stderr);
    const report = await readReport(`${dir}/report.json`) as unknown as {
      substitution: { substituted: number; fromCache: number; built: number };
    };
    assertEquals(report.substitution.fromCache, finished.length);
    assertEquals(report.substitution.substituted, finished.length);
    assertEquals(report.substitution.built, 10 - finished.length);
    const copied = second.stderr.split("\n").filter((l) => l.startsWith("copying path"));
    assertEquals(copied.length, finished.length, "Nix substituted exactly what was pushed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

for (const pull of [true, false]) {
  Deno.test(`a machine whose Nix never ran (no store yet) streams from its first build${pull ? "" : " (--no-pull: nix-store --init opens it)"}`, async () => {
    const dir = await tempDir();
    try {
      await Deno.writeTextFile(`${dir}/file.txt`, `${randomSecret()}\n`);
      const root = `${dir}/fresh`;
      // A store of its own, in a directory that does not exist yet.
      const env = {
        NIX_STORE_DIR: `${root}/store`,
        NIX_STATE_DIR: `${root}/var/nix`,
        NIX_LOG_DIR: `${root}/var/log/nix`,
      };
      const result = await runCli([
        "exec",
        "--backend",
        "nix-copy",
        "--to",
        `file://${dir}/cache`,
        "--store-dir",
        `${root}/store`,
        "--state-dir",
        `${dir}/state`,
        "--report",
        `${dir}/report.json`,
        ...(pull ? [] : ["--no-pull"]),
        "--",
        "nix-store",
        "--add",
        `${dir}/file.txt`,
      ], { env, cwd: dir });
      assertEquals(result.code, 0, result.stderr);
      assert(!result.stderr.includes("cannot read the Nix store"), result.stderr);
      if (!pull) assertIncludes(result.stderr, `${root}/store did not exist yet: Nix created it`);
      const added = result.stdout.trim();
      assert(added.startsWith(`${root}/store/`), result.stdout);
      const report = await readReport(`${dir}/report.json`) as unknown as { incremental: number };
      assertEquals(report.incremental, 1, `the first path was streamed\n${result.stderr}`);
      assert(
        await Deno.stat(
          `${dir}/cache/${added.slice(`${root}/store/`.length, -1).slice(0, 32)}.narinfo`,
        )
          .then(() => true, () => false),
        "it is in the cache",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
