/**
 * Security: the state directory is private and created safely; the token
 * never appears in argv, logs, reports, error messages or `status --json`;
 * store paths and patterns that look like flags or shell code are data.
 */

import { assert, assertEquals, assertIncludes } from "../helpers/assert.ts";
import { atticWorld, modeOf, sha256Hex } from "../helpers/attic.ts";
import { nixCopyArgs, runCli } from "../helpers/cli.ts";
import { graphBuild, hasNarinfo, newTag, sh, tempDir } from "../helpers/nix.ts";

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

Deno.test("a state directory someone else owns, or a symbolic link planted in its place, is refused and left untouched", async () => {
  const dir = await tempDir();
  try {
    const theirs = `${dir}/theirs`;
    await Deno.mkdir(theirs, { mode: 0o777 });
    await Deno.chmod(theirs, 0o777);
    await Deno.chown(theirs, 65534, 65534);
    const target = `${dir}/target`;
    await Deno.mkdir(target);
    const planted = `${dir}/planted`;
    await Deno.symlink(target, planted);

    for (
      const [state, problem] of [[theirs, "it belongs to uid 65534"], [
        planted,
        "it is a symbolic link",
      ]]
    ) {
      const marker = `${dir}/build-ran`;
      const run = await runCli(
        [
          "exec",
          ...nixCopyArgs(dir, { stateDir: state! }),
          "--",
          "touch",
          marker,
        ],
        { cwd: dir },
      );
      assertEquals(run.code, 0, "the build still runs, uncached");
      assert(await exists(marker));
      await Deno.remove(marker);
      assertIncludes(
        run.stderr,
        `error: cannot use ${state} as a private state directory: ${problem}`,
      );
      const strict = await runCli(
        [
          "push",
          ...nixCopyArgs(dir, { stateDir: state! }),
          "--strict",
        ],
        { cwd: dir },
      );
      assertEquals(strict.code, 2);
      assertEquals(strict.stderr.trim().split("\n").length, 1, strict.stderr);
    }
    assertEquals(
      [...Deno.readDirSync(theirs)],
      [],
      "something was written into another user's directory",
    );
    assertEquals(
      [...Deno.readDirSync(target)],
      [],
      "something was written through the planted link",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a new state directory is 0700 and every file in it 0600, and none holds the token once exec ended", async () => {
  const world = await atticWorld();
  try {
    const run = await runCli(["exec", ...world.args(), "--", "true"], {
      env: world.env,
      cwd: world.dir,
    });
    assertEquals(run.code, 0, run.stderr);
    assertEquals(await modeOf(world.state), 0o700);
    const walk = async (dir: string): Promise<string[]> => {
      const out: string[] = [];
      for await (const entry of Deno.readDir(dir)) {
        const path = `${dir}/${entry.name}`;
        if (entry.isDirectory) {
          assertEquals((await modeOf(path)).toString(8), "700", path);
          out.push(...await walk(path));
        } else if (entry.isFile) out.push(path);
      }
      return out;
    };
    const files = await walk(world.state);
    assert(files.length >= 4, files.join(" "));
    for (const file of files) {
      assertEquals((await modeOf(file)).toString(8), "600", file);
      assert(!(await Deno.readTextFile(file)).includes(world.token), `${file} holds the token`);
    }
  } finally {
    await world.dispose();
  }
});

Deno.test("the token is in no log, report, error message or status --json, whatever fails, with either backend", async () => {
  const world = await atticWorld();
  try {
    const tag = newTag();
    const report = `${world.dir}/report.json`;
    const outputs: string[] = [];
    const run = async (args: string[], env: Record<string, string> = {}) => {
      const result = await runCli(args, { env: { ...world.env, ...env }, cwd: world.dir });
      outputs.push(`$ ${args.join(" ")}\n${result.stdout}${result.stderr}`);
      return result;
    };
    const build = graphBuild(tag, { depth: 1, sleep: "0" });
    // Streams fine; then every kind of failure the helper reports.
    await run(["exec", ...world.args("--report", report), "--", ...build]);
    outputs.push(await Deno.readTextFile(report));
    await run([
      "exec",
      ...world.args("--retries", "0"),
      "--",
      ...graphBuild(newTag(), { depth: 1, sleep: "0" }),
    ], {
      ATTIC_DOUBLE_EXIT: "1",
    });
    await run([
      "exec",
      ...world.args("--retries", "0", "--strict"),
      "--",
      ...graphBuild(newTag(), { depth: 1, sleep: "0" }),
    ], {
      ATTIC_DOUBLE_EXPECT_TOKEN_SHA256: await sha256Hex("another token"),
    });
    await run(["exec", ...world.args("--server", "not a url"), "--", "true"]);
    await run(["exec", ...world.args("--token-variable", "ATTIC_TOKEN_FILE"), "--", "true"], {
      ATTIC_TOKEN_FILE: `/nonexistent/${world.token}`,
    });
    await run(["exec", ...world.args(), "--", "false"]);
    await run(["push", ...world.args(), "/nonexistent/path"]);
    // A watcher's status while it runs, and its log in the state directory.
    await run(["start", ...world.args()]);
    await run(["status", "--json", "--state-dir", world.state]);
    await run(["stop", ...world.args()]);
    outputs.push(await Deno.readTextFile(`${world.state}/watcher.log`));
    // nix-copy with the token variable set: nothing of it anywhere either.
    await run([
      "exec",
      ...nixCopyArgs(world.dir, { report: true }),
      "--",
      ...graphBuild(newTag(), { depth: 1, sleep: "0" }),
    ]);
    outputs.push(await Deno.readTextFile(report));

    assert(outputs.length >= 14, "every scenario ran");
    const leaks = outputs.filter((text) => text.includes(world.token));
    assertEquals(leaks, [], "the token appeared in a log, report, error or status");
    // A missing token file names the variable, not its value (which may be a mistyped token).
    assert(outputs.some((o) => o.includes("--token-variable (ATTIC_TOKEN_FILE)")));
    for (
      const file of [
        "session.json",
        "status.json",
        "watcher-report.json",
        "baseline.txt",
        "pushed.txt",
      ]
    ) {
      const path = `${world.state}/${file}`;
      if (await exists(path)) assert(!(await Deno.readTextFile(path)).includes(world.token), file);
    }
  } finally {
    await world.dispose();
  }
});

Deno.test("a store path named like a flag, and exclude patterns that look like flags or shell code, are data", async () => {
  const world = await atticWorld();
  try {
    const tag = newTag();
    await Deno.writeTextFile(
      `${world.dir}/flagname.nix`,
      `{ tag }: derivation { name = "--version-\${tag}"; system = builtins.currentSystem;
        builder = "/bin/sh"; args = [ "-c" "echo x > $out" ]; }\n`,
    );
    const pwned = `${world.dir}/PWNED`;
    for (
      const [backend, extra] of [["attic", world.args()], [
        "nix-copy",
        nixCopyArgs(world.dir),
      ]] as const
    ) {
      const result = await runCli([
        "exec",
        ...extra,
        // Excludes that would be a flag, or shell code, if anything took them as such.
        "--exclude=--strict",
        "--",
        "nix-build",
        `${world.dir}/flagname.nix`,
        "--argstr",
        "tag",
        `${tag}${backend}`,
      ], {
        env: { ...world.env, ATTIC_CI_EXCLUDE: `$(touch ${pwned})\n\`touch ${pwned}\`\n--help` },
        cwd: world.dir,
      });
      assertEquals(result.code, 0, result.stderr);
      assert(!(await exists(pwned)), "an exclude pattern ran as shell code");
      const path = (await sh("readlink", ["-f", `${world.dir}/result`])).stdout.trim();
      assert(path.includes("---version-"), path);
      const cache = backend === "attic" ? world.cache : `${world.dir}/cache`;
      assert(await hasNarinfo(cache, path), `${backend}: ${path} was not pushed`);
      await Deno.remove(`${world.dir}/result`);
    }
    // attic received the path as a path, not as its --version flag.
    const pushes = (await world.invocations()).filter((i) => i.argv[0] === "push");
    assert(pushes.some((i) => i.argv.some((a: string) => a.includes("---version-"))));
    assert(pushes.every((i) => !i.argv.includes("--version")));
  } finally {
    await world.dispose();
  }
});
