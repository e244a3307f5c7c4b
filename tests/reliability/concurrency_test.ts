/**
 * Concurrency: two sessions never share or corrupt one state directory, and
 * state another helper version wrote is refused with a clear message, never
 * misread.
 */

import { assert, assertEquals, assertIncludes } from "../helpers/assert.ts";
import { finish, spawnCli, waitFor } from "../helpers/attic.ts";
import { nixCopyArgs, runCli } from "../helpers/cli.ts";
import { graphBuild, hasNarinfo, newTag, storePathsOf, tempDir } from "../helpers/nix.ts";

/** Everything two runs in one TMPDIR need, outside GitLab (no CI_JOB_ID). */
async function scratch() {
  const dir = await tempDir("attic-ci-concurrency-");
  const env: Record<string, string> = { TMPDIR: `${dir}/tmp`, CI_JOB_ID: "" };
  await Deno.mkdir(env.TMPDIR!);
  return { dir, env, defaultState: `${dir}/tmp/attic-ci-${Deno.uid()}` };
}

async function allCached(cache: string, tag: string): Promise<boolean> {
  const { valid } = await storePathsOf(tag);
  for (const path of valid) if (!(await hasNarinfo(cache, path))) return false;
  return valid.length > 0;
}

Deno.test("two execs by one user with no --state-dir each get their own state, and both cache everything", async () => {
  const { dir, env, defaultState } = await scratch();
  try {
    const [a, b] = [newTag(), newTag()];
    const run = (tag: string) =>
      spawnCli([
        "exec",
        "--backend",
        "nix-copy",
        "--to",
        `file://${dir}/cache-${tag}`,
        "--",
        ...graphBuild(tag, { depth: 3, sleep: "0.2" }),
      ], { env, cwd: dir });
    const first = run(a);
    await waitFor(
      () => Deno.stat(`${defaultState}/session.lock`).then(() => true, () => false),
      "the first session",
    );
    const second = run(b);
    const [one, two] = await Promise.all([
      finish(first, "first exec"),
      finish(second, "second exec"),
    ]);
    assertEquals([one.code, two.code], [0, 0], one.stderr + two.stderr);
    assert(await allCached(`${dir}/cache-${a}`, a), "the first build is not all cached");
    assert(await allCached(`${dir}/cache-${b}`, b), "the second build is not all cached");
    assertIncludes(two.stderr, `another attic-ci session (exec, pid `);
    assertIncludes(
      two.stderr,
      `uses ${defaultState}; this one keeps its state in ${defaultState}/exec-`,
    );
    // Two sessions, two sets of state; each ledger records its own build in full. (A watcher
    // pushes whatever finishes in the shared store, so each also holds some of the other's.)
    const own = (await Array.fromAsync(Deno.readDir(defaultState))).find((e) =>
      e.name.startsWith("exec-")
    );
    assert(own !== undefined);
    const ledgers: [string, string][] = [
      [`${defaultState}/pushed.txt`, a],
      [`${defaultState}/${own.name}/pushed.txt`, b],
    ];
    for (const [ledger, tag] of ledgers) {
      const recorded = new Set((await Deno.readTextFile(ledger)).split("\n"));
      for (const path of (await storePathsOf(tag)).valid) {
        assert(recorded.has(path), `${path} is not in ${ledger}`);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a second session in a state directory the user named is refused, naming the one that holds it", async () => {
  const { dir, env } = await scratch();
  try {
    const tag = newTag();
    const state = `${dir}/shared-state`;
    const args = nixCopyArgs(dir, { stateDir: state });
    const first = spawnCli(
      ["exec", ...args, "--", ...graphBuild(tag, { depth: 3, sleep: "0.2" })],
      {
        env,
        cwd: dir,
      },
    );
    await waitFor(
      () => Deno.stat(`${state}/session.lock`).then(() => true, () => false),
      "the first session",
    );
    const marker = `${dir}/second-ran`;
    const second = await runCli(["exec", ...args, "--", "touch", marker], { env, cwd: dir });
    assertEquals(second.code, 2);
    const line = second.stderr.trim();
    assertEquals(line.split("\n").length, 1, line);
    assertIncludes(
      line,
      `--state-dir: another attic-ci session (exec, pid ${first.pid}) uses ${state}`,
    );
    assert(!(await Deno.stat(marker).then(() => true, () => false)), "the refused build ran");
    for (const command of [["start"], ["push"]]) {
      const refused = await runCli([...command, ...args], { env, cwd: dir });
      assertEquals(refused.code, 2, `${command}: ${refused.stderr}`);
      assertIncludes(refused.stderr, `another attic-ci session (exec, pid ${first.pid})`);
    }
    const done = await finish(first, "first exec");
    assertEquals(done.code, 0, done.stderr);
    assert(await allCached(`${dir}/cache`, tag));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("state written by another helper version is refused with one line, never misread", async () => {
  const { dir, env } = await scratch();
  try {
    const state = `${dir}/state`;
    const args = nixCopyArgs(dir, { stateDir: state });
    const made = await runCli(["exec", ...args, "--", "true"], { env, cwd: dir });
    assertEquals(made.code, 0, made.stderr);

    const cases: [string, (text: string) => string, string][] = [
      [
        "session.json",
        (t) => t.replace("attic-ci/session@1", "attic-ci/session@2"),
        "written by another attic-ci version",
      ],
      [
        "pushed.txt",
        (t) => t.replace("# attic-ci/ledger@1", "# attic-ci/ledger@0"),
        "written by another attic-ci version",
      ],
      [
        "baseline.txt",
        (t) => t.replace("# attic-ci/baseline@1\n", ""),
        "it is not a file attic-ci wrote",
      ],
    ];
    for (const [file, change, problem] of cases) {
      const path = `${state}/${file}`;
      const original = await Deno.readTextFile(path);
      await Deno.writeTextFile(path, change(original));
      const push = await runCli(["push", ...args], { env, cwd: dir });
      assertEquals(push.code, 2, `${file}: ${push.stderr}`);
      assertEquals(push.stderr.trim().split("\n").length, 1, push.stderr);
      assertIncludes(push.stderr, `--state-dir: ${path} `);
      assertIncludes(push.stderr, problem);
      await Deno.writeTextFile(path, original);
    }
    const push = await runCli(["push", ...args], { env, cwd: dir });
    assertEquals(push.code, 0, push.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
