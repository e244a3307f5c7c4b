/**
 * A multi-user Nix, for real: a nix-daemon of its own (root), and the job's
 * Nix run as `nobody` through it, as on a NixOS shell runner. The daemon
 * ignores the substituter, key and netrc of a user it does not trust, so the
 * helper says in one line what an admin adds — and those very lines, added
 * to the daemon's configuration, make it substitute from the private cache.
 */

import { assert, assertEquals, assertIncludes } from "../helpers/assert.ts";
import { apiWorld } from "../helpers/attic_api.ts";
import { CACHE } from "../helpers/attic.ts";
import { MAIN, runCli } from "../helpers/cli.ts";
import { v8FlagsArgument } from "../../src/system/v8_flags.ts";
import {
  buildGraph,
  cachedPaths,
  deleteStorePathsOf,
  GRAPH,
  graphBuild,
  newTag,
  sh,
  storePathsOf,
  tempDir,
} from "../helpers/nix.ts";

/** A nix-daemon on a socket of its own, reading `confDir`; restartable. */
class Daemon {
  #child: Deno.ChildProcess | null = null;
  constructor(readonly socket: string, readonly confDir: string) {}

  async start(): Promise<void> {
    this.#child = new Deno.Command("nix-daemon", {
      env: { NIX_DAEMON_SOCKET_PATH: this.socket, NIX_CONF_DIR: this.confDir },
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    for (let i = 0; i < 100; i++) {
      if (await Deno.stat(this.socket).then(() => true, () => false)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error("the nix-daemon did not start");
  }

  async stop(): Promise<void> {
    if (this.#child === null) return;
    try {
      this.#child.kill("SIGTERM");
    } catch { /* gone */ }
    await this.#child.status;
    this.#child = null;
    await Deno.remove(this.socket).catch(() => {});
  }
}

/**
 * A PATH whose `nix`, `nix-store` and `id` run as `nobody` through the
 * daemon, with the job's NIX_CONFIG passed on: the helper runs as usual and
 * its Nix is an untrusted client's.
 */
async function nobodysNix(dir: string, daemon: Daemon): Promise<string> {
  const bin = `${dir}/bin`;
  const home = `${dir}/nobody-home`;
  await Deno.mkdir(bin, { recursive: true });
  await Deno.mkdir(home, { recursive: true });
  await Deno.chmod(dir, 0o755);
  await sh("chown", ["nobody", home]);
  for (const program of ["nix", "nix-store", "nix-build", "id"]) {
    await Deno.writeTextFile(
      `${bin}/${program}`,
      `#!/bin/sh
exec /usr/sbin/runuser -u nobody -- env -i PATH=/usr/bin:/bin HOME=${home} NIX_REMOTE=daemon \\
  NIX_DAEMON_SOCKET_PATH=${daemon.socket} NIX_CONF_DIR="\${NIX_CONF_DIR-}" \\
  NIX_CONFIG="\${NIX_CONFIG-}" /usr/bin/${program} "$@"
`,
    );
    await Deno.chmod(`${bin}/${program}`, 0o755);
  }
  return `${bin}:/usr/bin:/bin`;
}

Deno.test({
  name:
    "on a daemon that does not trust the job's user, use says in one line what the admin adds, and those lines make the daemon substitute from the private cache",
  // Running the job's Nix as another user needs root (runuser), as on our machines and in CI.
  ignore: Deno.uid() !== 0,
}, async () => {
  const world = await apiWorld();
  const dir = await tempDir("attic-ci-daemon-");
  const confDir = `${dir}/etc-nix`;
  await Deno.mkdir(confDir);
  await Deno.writeTextFile(`${confDir}/nix.conf`, "sandbox = false\nsubstituters =\n");
  const daemon = new Daemon(`${dir}/daemon-socket`, confDir);
  try {
    await Deno.chmod(dir, 0o755);
    await daemon.start();
    const path = await nobodysNix(dir, daemon);
    const tag = newTag("daemon");
    const top = await buildGraph(tag, { width: 2, depth: 2 });
    const pushed = await runCli(["push", ...world.args(), top], { env: world.env });
    assertEquals(pushed.code, 0, pushed.stderr);
    const paths = (await storePathsOf(tag)).valid;
    await deleteStorePathsOf(tag);

    const use = (...extra: string[]) =>
      runCli([
        "use",
        "--server",
        world.server.url,
        "--cache",
        CACHE,
        "--state-dir",
        `${dir}/state`,
        ...extra,
      ], { env: { ...world.env, PATH: path, NIX_CONF_DIR: confDir } });
    const ignored = await use();
    assertEquals(ignored.code, 0, ignored.stderr);
    assertEquals(ignored.stdout, "", "nothing to eval: the daemon would ignore it");
    const lines = ignored.stderr.trim().split("\n");
    assertEquals(lines.length, 1, ignored.stderr);
    const advice = lines[0]!;
    assertIncludes(advice, "the Nix daemon ignores this job's substituter settings (user nobody");
    assertIncludes(advice, `${confDir}/nix.conf`);
    assert(!advice.includes(world.token), "the token is not in the advice");
    assert(!advice.includes("trusted-users"), "never advise trusting the CI user");
    assertEquals((await use("--strict")).code, 1, "--strict fails when Nix cannot be set up");

    // The admin adds exactly the quoted lines, with a pull token in the netrc line.
    const quoted = [...advice.matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
    const settings = quoted.filter((line) => line.startsWith("extra-"));
    assertEquals(settings.length, 3, advice);
    const netrcLine = quoted.find((line) => line.startsWith("machine "));
    assert(netrcLine !== undefined, advice);
    await Deno.writeTextFile(`${confDir}/nix.conf`, `${settings.join("\n")}\n`, { append: true });
    await Deno.writeTextFile(
      `${confDir}/netrc`,
      `${netrcLine.replace(/<[^>]+>/, world.token)}\n`,
      { mode: 0o600 },
    );
    await daemon.stop();
    await daemon.start();

    const configured = await use();
    assertEquals(configured.code, 0, configured.stderr);
    assertIncludes(configured.stderr, "the Nix daemon is set up for it");
    const realised = await sh("sh", ["-c", `PATH='${path}' nix-store -r ${top} --max-jobs 0`], {
      // Not the tests' NIX_CONFIG: its empty `substituters` would reach the daemon as the
      // client's choice, and an empty list is one the daemon trusts.
      env: { NIX_CONF_DIR: confDir, NIX_CONFIG: "" },
    });
    assertEquals(realised.code, 0, realised.stderr);
    assertEquals((await storePathsOf(tag)).valid, paths, "the daemon substituted every path");
  } finally {
    await daemon.stop();
    await world.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

/** `attic-ci ARGS…` as a job of its own (a new process group), its Nix `nobody`'s through `path`. */
function job(args: string[], path: string, confDir: string, cwd: string) {
  return new Deno.Command("setsid", {
    args: [Deno.execPath(), "run", "-A", "--quiet", v8FlagsArgument(), MAIN, ...args],
    env: { PATH: path, NIX_CONF_DIR: confDir, NIX_CONFIG: "" },
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
}

Deno.test({
  name:
    "two jobs at once through a daemon that trusts neither: each cache gets its own job's outputs (the closure of what it names) and none of the other's; a job that names nothing says so and pushes its out-links",
  // Running the job's Nix as another user needs root (runuser), as on our machines and in CI.
  ignore: Deno.uid() !== 0,
}, async () => {
  const dir = await tempDir("attic-ci-daemon-jobs-");
  const confDir = `${dir}/etc-nix`;
  await Deno.mkdir(confDir);
  await Deno.writeTextFile(`${confDir}/nix.conf`, "sandbox = false\nsubstituters =\n");
  const daemon = new Daemon(`${dir}/daemon-socket`, confDir);
  try {
    await Deno.chmod(dir, 0o755);
    await daemon.start();
    const path = await nobodysNix(dir, daemon);
    // Each job its own checkout directory, and caches nobody's nix copy may write.
    for (const name of ["a", "b", "c"]) {
      for (const sub of [`work-${name}`, name]) {
        await Deno.mkdir(`${dir}/${sub}`);
        await Deno.chmod(`${dir}/${sub}`, 0o777);
      }
    }
    const copyTo = (name: string) => [
      "--backend",
      "nix-copy",
      "--to",
      `file://${dir}/${name}`,
      "--no-pull",
      "--state-dir",
      `${dir}/state-${name}`,
      "--report",
      `${dir}/${name}.json`,
    ];
    const [a, b, c] = [newTag("da"), newTag("db"), newTag("dc")];
    const graph = (
      tag: string,
    ) => [
      "-f",
      GRAPH,
      "--argstr",
      "tag",
      tag,
      "--arg",
      "width",
      "3",
      "--arg",
      "depth",
      "3",
      "--argstr",
      "sleep",
      "0.05",
    ];
    // What job b names: its derivation (as a flake's `.#x` would be named), instantiated first.
    const drv = await sh("nix-instantiate", [...graph(b).slice(1), "-A", "all"]);
    assertEquals(drv.code, 0, drv.stderr);
    const drvPath = drv.stdout.trim();
    const [built, named, unnamed] = await Promise.all([
      job(
        ["build", ...copyTo("a"), "all", "--", ...graph(a), "--no-link"],
        path,
        confDir,
        `${dir}/work-a`,
      ),
      job(
        [
          "exec",
          ...copyTo("b"),
          "--installables",
          drvPath,
          "--",
          "nix-build",
          drvPath,
          "--no-out-link",
        ],
        path,
        confDir,
        `${dir}/work-b`,
      ),
      job(
        ["exec", ...copyTo("c"), "--", ...graphBuild(c, { width: 3, depth: 3, sleep: "0.05" })],
        path,
        confDir,
        `${dir}/work-c`,
      ),
    ]);
    const d = new TextDecoder();
    for (const out of [built, named, unnamed]) assertEquals(out.code, 0, d.decode(out.stderr));
    // The job that named nothing: one line, then its out-link's closure at the end.
    const unnamedLog = d.decode(unnamed.stderr);
    assertIncludes(
      unnamedLog,
      "this job's Nix uses a daemon, so which new store paths are this job's cannot be told",
    );

    for (const [cache, own] of [["a", a], ["b", b], ["c", c]] as const) {
      const cached = new Set(await cachedPaths(`${dir}/${cache}`));
      const mine = (await storePathsOf(own)).valid;
      assertEquals(mine.length, 10);
      assertEquals(mine.filter((p) => !cached.has(p)), [], `cache ${cache} lacks its own outputs`);
      for (const other of [a, b, c].filter((tag) => tag !== own)) {
        const theirs = (await storePathsOf(other)).valid.filter((p) => cached.has(p));
        assertEquals(theirs, [], `cache ${cache} holds job ${other}'s outputs`);
      }
      const report = JSON.parse(await Deno.readTextFile(`${dir}/${cache}.json`));
      assertEquals(report.attribution.mode, cache === "c" ? "out-links" : "closure");
    }
  } finally {
    await daemon.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
