/**
 * Store URLs of backend nix-copy: one that Nix cannot open at all is refused
 * before the build runs, in one line naming --to (exit 2) — by its form
 * (`ftp://`), or because this machine's Nix does not know its scheme (Debian's
 * Nix 2.8 is built without S3 support). One Nix opens but cannot reach now (a
 * cache that is down) is a transient failure: loud, retried, and the build
 * keeps its status.
 */

import { storeUrlProblem } from "../../src/backends/nix_copy_backend.ts";
import { assert, assertEquals, assertIncludes } from "../helpers/assert.ts";
import { runCli } from "../helpers/cli.ts";
import { testSystem } from "../helpers/context.ts";
import { graphBuild, newTag, tempDir } from "../helpers/nix.ts";

/** `exec --backend nix-copy --to URL -- sh -c 'exit 3'` in a fresh directory. */
async function execTo(to: string, ...extra: string[]) {
  const dir = await tempDir();
  try {
    return await runCli([
      "exec",
      "--backend",
      "nix-copy",
      "--to",
      to,
      "--state-dir",
      `${dir}/state`,
      "--retries",
      "1",
      "--retry-delay",
      "0.05",
      ...extra,
      "--",
      "sh",
      "-c",
      // New store paths for the push to fail on, then the build's own status. A build that
      // lasts a moment: its Nix process is seen rooting them however busy the machine (a
      // `nix-store --add` can exit before a loaded helper reads whose it was).
      `touch '${dir}/ran'; ${
        graphBuild(newTag("url"), { width: 1, depth: 1, sleep: "0.3" }).map((arg) => `'${arg}'`)
          .join(" ")
      } --no-out-link >/dev/null; exit 3`,
    ], {
      cwd: dir,
      // Nix's own retries of an unreachable cache (download-attempts) only make the test slow.
      env: {
        NIX_CONFIG:
          "substituters =\nexperimental-features = nix-command flakes\ndownload-attempts = 1\n",
      },
    }).then(async (result) => ({
      ...result,
      ran: await Deno.stat(`${dir}/ran`).then(() => true, () => false),
    }));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a store URL of a form Nix never opens is one line naming --to, exit 2, and the build does not run", async () => {
  for (const to of ["ftp://cache.example.com", "fiel:///var/cache/nix"]) {
    const result = await execTo(to);
    assertEquals(result.code, 2, result.stderr);
    const lines = result.stderr.trim().split("\n");
    assertEquals(lines.length, 1, result.stderr);
    assertIncludes(lines[0]!, "--to: is not a store URL Nix can open");
    assert(!result.ran, "the build ran");
  }
});

Deno.test("a scheme this machine's Nix does not know (s3:// without S3 support) is one line naming --to, exit 2", async () => {
  const to = "s3://bucket?region=eu-west-1";
  // What this machine's Nix says of it decides: skip the claim where Nix has S3 support.
  const problem = await storeUrlProblem(testSystem(), to);
  if (problem === null) return;
  const result = await execTo(to);
  assertEquals(result.code, 2, result.stderr);
  const lines = result.stderr.trim().split("\n");
  assertEquals(lines.length, 1, `one line, the pull side's included:\n${result.stderr}`);
  assertIncludes(lines[0]!, "--to: this Nix does not know how to open s3://bucket");
  assert(!result.ran, "the build ran");
});

Deno.test("a store Nix opens but cannot reach (a cache that is down) leaves the build and its status alone, loudly", async () => {
  const result = await execTo("http://127.0.0.1:1/cache", "--no-pull");
  assertEquals(result.code, 3, result.stderr);
  assert(result.ran, "the build did not run");
  assertIncludes(result.stderr, "Couldn't connect to server");
});

Deno.test("storeUrlProblem() names only what Nix cannot open, never a store that is merely down", async () => {
  const system = testSystem();
  const dir = await tempDir();
  try {
    assertEquals(await storeUrlProblem(system, `file://${dir}/cache`), null);
    assertEquals(await storeUrlProblem(system, "http://127.0.0.1:1/cache"), null);
    assertEquals(await storeUrlProblem(system, "ssh-ng://nonexistent.invalid"), null);
    assertIncludes(
      (await storeUrlProblem(system, "ftp://x")) ?? "",
      "this Nix does not know how to open ftp://x",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
