/**
 * The helper step every template runs before anything else: which helper it
 * uses, and how it makes the helper start in an image without an FHS loader.
 * (Downloads and signatures: helper_download_test.ts.)
 */

import { assert, assertEquals, assertIncludes } from "../helpers/assert.ts";
import {
  helperStep,
  runHelperStep,
  storeWithGlibc,
  withoutLoader,
} from "../helpers/helper_step.ts";
import { tempDir } from "../helpers/nix.ts";

const SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin";

async function scratch(): Promise<{ dir: string; bin: string; tmp: string }> {
  const dir = await tempDir("attic-ci-step-");
  for (const sub of ["bin", "tmp"]) await Deno.mkdir(`${dir}/${sub}`);
  return { dir, bin: `${dir}/bin`, tmp: `${dir}/tmp` };
}

Deno.test("every template carries the same helper step", async () => {
  const step = await helperStep("nix-build");
  assertEquals(await helperStep("watch-store"), step);
  assertEquals(await helperStep("use"), step);
});

Deno.test("the helper step uses an attic-ci already on PATH and downloads nothing", async () => {
  const { dir, bin, tmp } = await scratch();
  try {
    await Deno.writeTextFile(`${bin}/attic-ci`, '#!/bin/sh\necho "attic-ci 9.9.9 ($*)"\n');
    await Deno.chmod(`${bin}/attic-ci`, 0o755);
    const result = await runHelperStep(await helperStep("nix-build"), {
      // No download could work: no API URL, no version.
      env: { PATH: `${bin}:${SYSTEM_PATH}`, TMPDIR: tmp, CI_JOB_ID: "7" },
      after: "attic-ci build",
    });
    assertEquals(result.code, 0, result.stderr);
    assertEquals(result.stderr, `attic-ci helper: using ${bin}/attic-ci from PATH\n`);
    assertIncludes(result.stdout, "attic-ci 9.9.9 (--version)");
    assertIncludes(result.stdout, "attic-ci 9.9.9 (build)");
    assertEquals([...Deno.readDirSync(tmp)], [], "the step wrote something");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("without a helper on PATH and without a version, the step fails the job saying what to set", async () => {
  const { dir, tmp } = await scratch();
  try {
    const result = await runHelperStep(await helperStep("nix-build"), {
      env: {
        PATH: SYSTEM_PATH,
        TMPDIR: tmp,
        // What gitlab-ci-local leaves for a versioned ref: the interpolation, as text.
        ATTIC_CI_COMPONENT_VERSION: "$[[ component.version ]]",
        ATTIC_CI_COMPONENT_SHA: "",
      },
      after: "echo the job went on",
    });
    assertEquals(result.code, 1);
    assertEquals(
      result.stderr.trim(),
      "attic-ci helper: no helper version: set the helper_version input, or put attic-ci on PATH in your image",
    );
    assert(!result.stdout.includes("the job went on"), result.stdout);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a helper that cannot start for want of an FHS loader (nixos/nix) is started with the store's glibc loader, arguments intact", async () => {
  const { dir, bin, tmp } = await scratch();
  try {
    // /usr/bin/env stands in for the compiled helper: a glibc program like it.
    const interpreter = await withoutLoader("/usr/bin/env", `${bin}/attic-ci`);
    let broken = "started";
    try {
      await new Deno.Command(`${bin}/attic-ci`, { args: ["--version"] }).output();
    } catch (error) {
      broken = String(error);
    }
    assertIncludes(broken, "No such file or directory");
    const store = `${dir}/store`;
    const glibc = await storeWithGlibc(store, interpreter);

    const result = await runHelperStep(await helperStep("watch-store"), {
      env: {
        PATH: `${bin}:${SYSTEM_PATH}`,
        TMPDIR: tmp,
        CI_JOB_ID: "8",
        ATTIC_CI_STORE_DIR: store,
      },
      // env(1) runs its arguments: show that each one arrives as it was written.
      after:
        `attic-ci sh -c 'printf "<%s>\\n" "$@"; echo "self=$ATTIC_CI_SELF"' - "a b" '$(touch PWNED)' "it's"`,
      cwd: dir,
    });
    assertEquals(result.code, 0, result.stderr);
    assertIncludes(result.stderr, `no FHS loader in this image; starting attic-ci with ${glibc}/`);
    assertIncludes(result.stdout, "env (GNU coreutils)");
    assertIncludes(result.stdout, "<a b>\n<$(touch PWNED)>\n<it's>\n");
    // The helper can start itself again (start → detached watcher) through the launcher.
    assertIncludes(result.stdout, `self=${tmp}/attic-ci-helper-8/bin/attic-ci\n`);
    assert(!(await Deno.stat(`${dir}/PWNED`).then(() => true, () => false)), "an argument ran");

    // after_script: a new shell, PATH as the job started; the launcher is found again, and
    // goes with the job when after_script ends.
    const again = await runHelperStep(await helperStep("watch-store"), {
      env: {
        PATH: `${bin}:${SYSTEM_PATH}`,
        TMPDIR: tmp,
        CI_JOB_ID: "8",
        CI_JOB_STATUS: "success",
        ATTIC_CI_STORE_DIR: store,
      },
    });
    assertEquals(again.code, 0, again.stderr);
    assertEquals(
      again.stdout.split("\n")[0]?.startsWith("env (GNU coreutils)"),
      true,
      again.stdout,
    );
    assertEquals([...Deno.readDirSync(tmp)], [], "the job's launcher stayed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a helper that does not start and a store without glibc: the step says what to do", async () => {
  const { dir, bin, tmp } = await scratch();
  try {
    await withoutLoader("/usr/bin/env", `${bin}/attic-ci`);
    await Deno.mkdir(`${dir}/store`);
    const result = await runHelperStep(await helperStep("nix-build"), {
      env: {
        PATH: `${bin}:${SYSTEM_PATH}`,
        TMPDIR: tmp,
        CI_JOB_ID: "9",
        ATTIC_CI_STORE_DIR: `${dir}/store`,
      },
    });
    assertEquals(result.code, 1);
    assertEquals(
      result.stderr.trim().split("\n").at(-1),
      `attic-ci helper: ${bin}/attic-ci does not start and ${dir}/store has no glibc loader; ` +
        "use an image with one, or put a working attic-ci on PATH",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
