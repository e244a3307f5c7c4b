/**
 * The compile task, all around `deno compile` itself (which downloads its
 * runtime and cannot run here): the platforms, the command lines, and the
 * checksums file published for downloads by hand (the templates verify a
 * signature instead: sign_test.ts).
 */

import { compileCommand, main, selectTargets, writeChecksums } from "../../release/compile.ts";
import { RELEASE_TARGETS, releaseFile } from "../../release/targets.ts";
import { assert, assertEquals, assertIncludes, assertThrows } from "../helpers/assert.ts";
import { helperStep } from "../helpers/helper_step.ts";
import { sh, tempDir } from "../helpers/nix.ts";

Deno.test("a release covers x86_64 and aarch64 Linux and macOS, named as the helper step names them", async () => {
  assertEquals(RELEASE_TARGETS.map((t) => t.system), [
    "x86_64-linux",
    "aarch64-linux",
    "x86_64-darwin",
    "aarch64-darwin",
  ]);
  // Every system the step can compute from uname has a file in the release, and vice versa.
  const step = await helperStep("nix-build");
  const systems = new Set([...step.matchAll(/system=([\w-]+) ;;/g)].map((m) => m[1]));
  assertEquals(systems, new Set(RELEASE_TARGETS.map((t) => t.system)));
});

Deno.test("compileCommand() compiles src/main.ts for the target into attic-ci-<system>", () => {
  const command = compileCommand(RELEASE_TARGETS[1]!, "dist");
  assertEquals(command.slice(0, 4), ["deno", "compile", "--allow-all", "--no-prompt"]);
  assertIncludes(
    command.join(" "),
    "--target aarch64-unknown-linux-gnu --output dist/attic-ci-aarch64-linux",
  );
  assert(command.at(-1)!.endsWith("/src/main.ts"), command.at(-1));
  assertIncludes(command.join(" "), "--v8-flags=--max-semi-space-size=1");
});

Deno.test("selectTargets() takes --all, named systems, and refuses an unknown one with the choices", () => {
  assertEquals(selectTargets([], true).length, 4);
  assertEquals(selectTargets(["x86_64-linux"], false).map((t) => t.triple), [
    "x86_64-unknown-linux-gnu",
  ]);
  assertThrows(() => selectTargets(["riscv64-linux"], false), "expected one of x86_64-linux");
  assertThrows(() => selectTargets([], false), "--system SYSTEM");
});

Deno.test("writeChecksums() writes what sha256sum -c verifies, sorted, over every file but itself", async () => {
  const dir = await tempDir();
  try {
    for (const target of RELEASE_TARGETS) {
      await Deno.writeTextFile(
        `${dir}/${releaseFile(target.system)}`,
        `binary for ${target.system}\n`,
      );
    }
    const text = await writeChecksums(dir);
    assertEquals(text.trim().split("\n").map((line) => line.split("  ")[1]), [
      "attic-ci-aarch64-darwin",
      "attic-ci-aarch64-linux",
      "attic-ci-x86_64-darwin",
      "attic-ci-x86_64-linux",
    ]);
    const check = await sh("sha256sum", ["-c", "SHA256SUMS"], { cwd: dir });
    assertEquals(check.code, 0, check.stderr);
    assertEquals(await writeChecksums(dir), text, "SHA256SUMS covered itself");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task compile --all --dry-run prints the four deno compile commands", async () => {
  const dir = await tempDir();
  try {
    const lines: string[] = [];
    const log = console.log;
    console.log = (line: string) => lines.push(line);
    try {
      assertEquals(await main(["--all", "--dry-run", "--out", dir]), 0);
    } finally {
      console.log = log;
    }
    assertEquals(lines.length, 4);
    for (const target of RELEASE_TARGETS) {
      assert(
        lines.some((l) =>
          l.includes(`--target ${target.triple} --output ${dir}/attic-ci-${target.system}`)
        ),
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task compile takes --system more than once: the per-commit helpers of both Linux platforms", async () => {
  const dir = await tempDir();
  try {
    const lines: string[] = [];
    const log = console.log;
    console.log = (line: string) => lines.push(line);
    try {
      assertEquals(
        await main([
          "--system",
          "x86_64-linux",
          "--system",
          "aarch64-linux",
          "--dry-run",
          "--out",
          dir,
        ]),
        0,
      );
    } finally {
      console.log = log;
    }
    assertEquals(lines.length, 2);
    assertIncludes(lines[0]!, `--output ${dir}/attic-ci-x86_64-linux`);
    assertIncludes(lines[1]!, `--output ${dir}/attic-ci-aarch64-linux`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
