/**
 * The bootstrap gets the attic client by substitution only
 * (`nix build REF --max-jobs 0`): a valid or substitutable client is used at
 * once, one that would need building is never built; then an `attic` on PATH;
 * else deferred mode, where the bootstrap is tried again at the end and
 * everything recorded is pushed. The client here is a flake whose
 * `attic-client` wraps the attic test double.
 */

import { findOnPath } from "../../src/attic/bootstrap.ts";
import {
  atticWorld,
  DOUBLE,
  DOUBLE_DIR,
  exists,
  isValidPath,
  nixBuildArgs,
  pushedWithTag,
  readAtticReport,
  sha256Hex,
  writeClientFlake,
} from "../helpers/attic.ts";
import { assert, assertEquals, assertIncludes } from "../helpers/assert.ts";
import { runCli } from "../helpers/cli.ts";
import { graphBuild, hasNarinfo, newTag, sh, storePathsOf, tempDir } from "../helpers/nix.ts";

/** PATH of the test runner: it has no `attic` (checked), unlike the double's directory. */
const PATH = Deno.env.get("PATH") ?? "/usr/bin:/bin";

async function assertNoAtticOnPath(): Promise<void> {
  assertEquals(
    await findOnPath("attic", PATH),
    null,
    "precondition: no attic on the runner's PATH",
  );
}

/** Runs `attic-ci bootstrap` for `installable` with the state dir `state`. */
function bootstrap(
  installable: string,
  state: string,
  env: Record<string, string> = {},
) {
  return runCli(
    ["bootstrap", "--bootstrap-installable", installable, "--state-dir", state],
    { env: { PATH, ...env } },
  );
}

Deno.test("bootstrap uses a client that is already valid and prints its path", async () => {
  const dir = await tempDir();
  try {
    const flake = await writeClientFlake(`${dir}/flake`, newTag("client"));
    const built = await sh("nix", nixBuildArgs(flake.installable, `${dir}/prebuilt`));
    assertEquals(built.code, 0, built.stderr);

    const state = `${dir}/state`;
    const result = await bootstrap(flake.installable, state);
    assertEquals(result.code, 0, result.stderr);
    assertEquals(result.stdout, `${state}/attic-client/bin/attic\n`);
    assertIncludes(result.stderr, `${flake.installable} was already valid`);
    assertEquals(await Deno.realPath(`${state}/attic-client`), flake.outPath, "the out-link");
    const client = await sh(result.stdout.trim(), ["--version"]);
    assertEquals(client.stdout.trim(), "attic 0.1.0", "the printed client runs");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bootstrap never builds a client: one that would need building fails at once, then PATH or nothing", async () => {
  await assertNoAtticOnPath();
  const dir = await tempDir();
  try {
    const flake = await writeClientFlake(`${dir}/flake`, newTag("client"));
    const state = `${dir}/state`;

    const none = await bootstrap(flake.installable, state);
    assertEquals(none.code, 1, "no client at all: exit 1");
    assertEquals(none.stdout, "");
    assertIncludes(none.stderr, "would need building, which --max-jobs 0 forbids");
    assertIncludes(none.stderr, "no attic is on PATH");
    assert(!none.stderr.includes("pushing them at stop"), "bootstrap alone defers nothing");

    const onPath = await bootstrap(flake.installable, state, { PATH: `${DOUBLE_DIR}:${PATH}` });
    assertEquals(onPath.code, 0, onPath.stderr);
    assertEquals(onPath.stdout, `${DOUBLE}\n`, "the attic on PATH is the client");
    assertIncludes(onPath.stderr, "would need building");
    assertIncludes(onPath.stderr, `using ${DOUBLE} from PATH`);

    // Nothing was built: the client's output is neither valid nor on disk, and no out-link exists.
    assert(!(await isValidPath(flake.outPath)), "the client was not built");
    assert(!(await exists(flake.outPath)), "no build even started writing the client");
    assert(!(await exists(`${state}/attic-client`)), "no out-link");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bootstrap substitutes a client that a binary cache has", async () => {
  const dir = await tempDir();
  try {
    const flake = await writeClientFlake(`${dir}/flake`, newTag("client"));
    const built = await sh("nix", nixBuildArgs(flake.installable, `${dir}/built`));
    assertEquals(built.code, 0, built.stderr);
    const cache = `${dir}/substituter`;
    const copied = await sh("nix", [
      "--extra-experimental-features",
      "nix-command",
      "copy",
      "--to",
      `file://${cache}`,
      flake.outPath,
    ]);
    assertEquals(copied.code, 0, copied.stderr);
    await Deno.remove(`${dir}/built`);
    const deleted = await sh("nix-store", ["--delete", flake.outPath]);
    assertEquals(deleted.code, 0, deleted.stderr);
    assert(!(await isValidPath(flake.outPath)), "precondition: the client is gone locally");

    const state = `${dir}/state`;
    const result = await bootstrap(flake.installable, state, {
      NIX_CONFIG: `substituters = file://${cache}\nrequire-sigs = false\n`,
    });
    assertEquals(result.code, 0, result.stderr);
    assertEquals(result.stdout, `${state}/attic-client/bin/attic\n`);
    assert(await isValidPath(flake.outPath), "the client was substituted back");
    assertEquals(await Deno.realPath(`${state}/attic-client`), flake.outPath);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("exec in deferred mode records paths, retries the bootstrap at the end, and pushes all once the build made the client", async () => {
  await assertNoAtticOnPath();
  const tag = newTag();
  const flakeDir = await tempDir();
  const flake = await writeClientFlake(`${flakeDir}/flake`, newTag("client"));
  const world = await atticWorld({ onPath: false, installable: flake.installable });
  try {
    const report = `${world.dir}/report.json`;
    // The build itself builds the client first (as a CI build of the attic flake would).
    const build = [
      "/bin/sh",
      "-c",
      'nix --extra-experimental-features "nix-command flakes" build "$1" --out-link "$2" && shift 2 && exec "$@"',
      "sh",
      flake.installable,
      `${world.dir}/client`,
      ...graphBuild(tag, { width: 2, depth: 2 }),
    ];
    const result = await runCli(["exec", ...world.args("--report", report), "--", ...build], {
      env: world.env,
      cwd: world.dir,
    });
    assertEquals(result.code, 0, result.stderr);

    assertIncludes(result.stderr, "bootstrap: deferred mode:");
    assertIncludes(result.stderr, "would need building");
    assertIncludes(result.stderr, "recording paths now, pushing them at stop");
    assertIncludes(result.stderr, "deferred mode: trying the attic client bootstrap again");
    assertIncludes(
      result.stderr,
      `bootstrap: attic client ${world.state}/attic-client/bin/attic: ${flake.installable} was already valid`,
    );

    const json = await readAtticReport(report);
    assertEquals(json.bootstrap?.mode, "deferred");
    assert(json.deferred > 0, `report.deferred is ${json.deferred}`);
    assertEquals(json.incremental, 0, "nothing could be pushed while no client existed");
    const { valid } = await storePathsOf(tag);
    assertEquals(valid.length, 5);
    for (const path of [...valid, flake.outPath]) {
      assert(await hasNarinfo(world.cache, path), `${path} is not cached`);
    }
    assertEquals(pushedWithTag(json, tag), valid);
    assertEquals(json.failed.filter((p) => p.includes(tag)), []);

    const pushes = (await world.invocations()).filter((i) => i.argv[0] === "push");
    assert(pushes.length > 0, "the bootstrapped client pushed");
    const expected = await sha256Hex(world.token);
    for (const push of pushes) assertEquals(push.tokenSha256, expected);
  } finally {
    await world.dispose();
    await Deno.remove(flakeDir, { recursive: true });
  }
});
