/**
 * The README's quick start on a fresh machine that has only Node.js and npm:
 * `.ci/setup` installs what is missing (pinned Deno from npm; Nix from the
 * system's packages when root), or, when it cannot, prints the one command to
 * run as root. "Missing" is simulated with a PATH that leaves the tool out.
 */

import { assert, assertEquals, assertIncludes } from "../helpers/assert.ts";
import { ROOT, tempDir } from "../helpers/nix.ts";

const DENO_VERSION = /DENO_VERSION="([\d.]+)"/.exec(
  await Deno.readTextFile(`${ROOT}/.ci/setup`),
)![1]!;

/** A directory of links to every program on PATH except `leaveOut`: PATH without them. */
async function pathWithout(dir: string, leaveOut: string[]): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const seen = new Set(leaveOut);
  for (const entry of (Deno.env.get("PATH") ?? "").split(":")) {
    let names: string[];
    try {
      names = [...Deno.readDirSync(entry)].map((e) => e.name);
    } catch {
      continue;
    }
    for (const name of names) {
      if (seen.has(name)) continue;
      seen.add(name);
      await Deno.symlink(`${entry}/${name}`, `${dir}/${name}`);
    }
  }
  return dir;
}

/** Copies .ci/setup into a world-readable directory (another user may not read the checkout). */
async function setupCopy(dir: string): Promise<string> {
  await Deno.mkdir(`${dir}/repo/.ci`, { recursive: true });
  await Deno.copyFile(`${ROOT}/.ci/setup`, `${dir}/repo/.ci/setup`);
  await Deno.chmod(`${dir}/repo/.ci/setup`, 0o755);
  return `${dir}/repo/.ci/setup`;
}

/**
 * Runs `command` with this environment (npm needs its proxy and CA settings) overridden
 * by `env`.
 */
async function run(
  command: string[],
  env: Record<string, string>,
): Promise<{ code: number; output: string }> {
  const out = await new Deno.Command(command[0]!, {
    args: command.slice(1),
    env: { ...Deno.env.toObject(), ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  return { code: out.code, output: d.decode(out.stdout) + d.decode(out.stderr) };
}

Deno.test("on a machine without Deno, .ci/setup installs the pinned Deno from npm and says where", async () => {
  const dir = await tempDir("attic-ci-setup-");
  try {
    const path = await pathWithout(`${dir}/path`, ["deno"]);
    const prefix = `${dir}/npm-global`;
    const result = await run([`${ROOT}/.ci/setup`], {
      PATH: path,
      HOME: Deno.env.get("HOME") ?? dir,
      NPM_CONFIG_PREFIX: prefix, // npm install -g lands here, not on this machine
    });
    assertEquals(result.code, 0, result.output);
    assertIncludes(result.output, `setup: installing deno@${DENO_VERSION} from npm`);
    assertIncludes(result.output, `setup: ready: deno ${DENO_VERSION}`);
    assertIncludes(result.output, `Deno is in ${prefix}/bin, which is not on your PATH`);
    const version = await new Deno.Command(`${prefix}/bin/deno`, { args: ["--version"] }).output();
    assertIncludes(new TextDecoder().decode(version.stdout), `deno ${DENO_VERSION}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("as a user who is not root, .ci/setup prints the one command to run as root for what is missing", async () => {
  const dir = await tempDir("attic-ci-setup-");
  try {
    await Deno.chmod(dir, 0o755);
    const setup = await setupCopy(dir);
    const home = `${dir}/home`;
    await Deno.mkdir(home, { mode: 0o777 });
    await Deno.chmod(home, 0o777);
    const asNobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", setup];
    // npm's global prefix, where a root install would put Deno: empty, and not ours.
    const prefix = `${dir}/npm-global`;
    await Deno.mkdir(`${prefix}/lib`, { recursive: true });
    const env = { HOME: home, NPM_CONFIG_PREFIX: prefix };

    const noNix = await run(asNobody, {
      ...env,
      PATH: await pathWithout(`${dir}/p1`, ["deno", "nix"]),
    });
    assertEquals(noNix.code, 1, noNix.output);
    assertEquals(
      noNix.output.trim(),
      "setup: missing nix-bin; as root, run: apt-get install -y nix-bin",
    );

    const noDeno = await run(asNobody, {
      ...env,
      PATH: await pathWithout(`${dir}/p2`, ["deno"]),
    });
    assertEquals(noDeno.code, 1, noDeno.output);
    assert(
      noDeno.output.trim().endsWith(
        `setup: Deno ${DENO_VERSION} is missing; as root, run: npm install -g deno@${DENO_VERSION}`,
      ),
      noDeno.output,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the README's quick start is .ci/setup demo, then the test command CI runs", async () => {
  const readme = await Deno.readTextFile(`${ROOT}/README.md`);
  const quick = readme.slice(
    readme.indexOf("## Quick start"),
    readme.indexOf("\n## ", readme.indexOf("## Quick start") + 5),
  );
  const commands = [...quick.matchAll(/^(\.ci\/setup demo|deno task test)\b/gm)].map((m) => m[1]);
  assertEquals(commands, [".ci/setup demo", "deno task test"]);
  const run = await Deno.readTextFile(`${ROOT}/.ci/run`);
  assertIncludes(run, ".ci/setup\n");
  assertIncludes(run, "deno task test");
});
