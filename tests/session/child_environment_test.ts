/**
 * The children's environment comes from the context, not from this process:
 * a `NIX_CONFIG` set there reaches every `nix` and `nix-store` child, and the
 * token variable reaches none of attic-ci's own children (the user's build
 * keeps it: it is their command).
 */

import { nixCopyArgs } from "../helpers/cli.ts";
import { run } from "../../src/dispatch.ts";
import { assert, assertEquals } from "../helpers/assert.ts";
import { CACHE, DOUBLE, NO_CLIENT_INSTALLABLE, SERVER } from "../helpers/attic.ts";
import { testContext } from "../helpers/context.ts";
import { graphBuild, newTag, sh, tempDir } from "../helpers/nix.ts";

/** A program that records what it sees, then becomes the real one. */
async function recorder(dir: string, name: string, real: string, log: string): Promise<void> {
  await Deno.writeTextFile(
    `${dir}/${name}`,
    // One write per line: children that run at once must not interleave their lines.
    `#!/bin/sh
line='${name}'
case "$NIX_CONFIG" in *attic-ci-marker*) line="$line nix-config" ;; esac
[ -z "\${ATTIC_TOKEN+set}" ] || line="$line TOKEN"
printf '%s\n' "$line" >> '${log}'
exec '${real}' "$@"
`,
    { mode: 0o755 },
  );
}

async function which(program: string): Promise<string> {
  const found = await sh("sh", ["-c", `command -v ${program}`]);
  assertEquals(found.code, 0, `${program} is not on PATH`);
  return found.stdout.trim();
}

Deno.test("NIX_CONFIG from the context reaches every nix child, and the token variable none of ours", async () => {
  const dir = await tempDir();
  try {
    const bin = `${dir}/bin`;
    const log = `${dir}/children.log`;
    await Deno.mkdir(bin);
    for (const program of ["nix", "nix-store"]) {
      await recorder(bin, program, await which(program), log);
    }
    await recorder(bin, "attic", DOUBLE, log);
    await Deno.writeTextFile(
      `${dir}/build.sh`,
      `#!/bin/sh\n[ -z "$ATTIC_TOKEN" ] || touch '${dir}/build-saw-token'\nexec "$@"\n`,
      { mode: 0o755 },
    );
    const env = {
      PATH: `${bin}:${Deno.env.get("PATH")}`,
      // The marker is ours; this process's own NIX_CONFIG has none.
      NIX_CONFIG: "substituters =\nexperimental-features = nix-command flakes\n# attic-ci-marker\n",
      ATTIC_TOKEN: `attic-secret-${crypto.randomUUID()}`,
      ATTIC_DOUBLE_ROOT: `${dir}/double`,
    };

    const tag = newTag();
    const attic = testContext({ cwd: dir, env });
    const atticCode = await run([
      "exec",
      "--cache",
      CACHE,
      "--server",
      SERVER,
      "--bootstrap-installable",
      NO_CLIENT_INSTALLABLE,
      "--state-dir",
      `${dir}/state-attic`,
      "--",
      `${dir}/build.sh`,
      ...graphBuild(tag, { depth: 2 }),
    ], attic.ctx);
    assertEquals(atticCode, 0, attic.log());

    const copy = testContext({ cwd: dir, env });
    const copyCode = await run([
      "exec",
      ...nixCopyArgs(dir, { stateDir: `${dir}/state-copy` }),
      "--",
      ...graphBuild(newTag(), { depth: 2 }),
    ], copy.ctx);
    assertEquals(copyCode, 0, copy.log());

    const children = (await Deno.readTextFile(log)).trim().split("\n");
    const seen = new Set(children.map((line) => line.split(" ")[0]));
    // The bootstrap (nix build), the validity checks (nix-store), attic push and nix copy.
    assertEquals([...seen].sort(), ["attic", "nix", "nix-store"]);
    const nixChildren = children.filter((line) => !line.startsWith("attic"));
    assert(nixChildren.every((line) => line.includes(" nix-config")), children.join("\n"));
    assertEquals(children.filter((line) => line.includes("TOKEN")), [], "a child saw the token");
    // The user's build is theirs: it keeps its environment, the token included.
    assert(
      await Deno.stat(`${dir}/build-saw-token`).then(() => true, () => false),
      "the user's build lost its environment",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
