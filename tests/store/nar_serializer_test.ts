/**
 * Small NARs written in-process are byte for byte what `nix-store --dump`
 * writes — directories in byte order of their names, executables, symlinks,
 * empty files, padding — and are only given out when their hash is the one
 * the store recorded.
 */

import { narHashHex } from "../../src/store/nar_hash.ts";
import { smallNar } from "../../src/store/nar_serializer.ts";
import { assert, assertEquals } from "../helpers/assert.ts";
import { newTag, sh } from "../helpers/nix.ts";

/** A store path with every kind of node Nix writes. */
async function buildTree(tag: string): Promise<string> {
  const script = [
    "mkdir -p $out/sub/deeper $out/empty-dir",
    "echo hello > $out/a",
    "printf '' > $out/empty",
    "printf 12345678 > $out/eight",
    "printf 'B first in bytes' > $out/B",
    "printf '#!/bin/sh\\necho run\\n' > $out/sub/run && chmod +x $out/sub/run",
    "ln -s ../a $out/sub/link",
    "ln -s /nonexistent/target $out/dangling",
    "echo deep > $out/sub/deeper/file",
  ].join(" && ");
  const expression = `derivation {
    name = "attic-ci-nar-${tag}";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    PATH = "/bin:/usr/bin";
    args = [ "-c" ${JSON.stringify(script)} ];
  }`;
  const built = await sh("nix-build", ["--no-out-link", "--expr", expression]);
  assertEquals(built.code, 0, built.stderr);
  return built.stdout.trim();
}

async function dumpOf(path: string): Promise<Uint8Array> {
  const out = await new Deno.Command("nix-store", { args: ["--dump", path], stdout: "piped" })
    .output();
  return out.stdout;
}

async function hashOf(path: string): Promise<string> {
  const nix32 = (await sh("nix-store", ["-q", "--hash", path])).stdout.trim();
  return narHashHex(nix32)!;
}

Deno.test("smallNar() writes what nix-store --dump writes, for a tree of every kind of node", async () => {
  const tree = await buildTree(newTag("nar"));
  const nar = smallNar(tree, await hashOf(tree));
  assert(nar !== null, "the tree's NAR matches the store's hash");
  assertEquals(nar, await dumpOf(tree));
});

Deno.test("smallNar() writes single files and symlinks at the top of a store path", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const size of [0, 1, 7, 8, 9, 65_537]) {
      const file = `${dir}/file-${size}`;
      await Deno.writeFile(file, new Uint8Array(size).map((_, i) => (i * 7 + size) & 0xff));
      const path = (await sh("nix-store", ["--add", file])).stdout.trim();
      assertEquals(smallNar(path, await hashOf(path)), await dumpOf(path), `${size} bytes`);
    }
    await Deno.symlink(`/nix/store/${crypto.randomUUID()}`, `${dir}/link`);
    const link = (await sh("nix-store", ["--add", `${dir}/link`])).stdout.trim();
    assert((await Deno.lstat(link)).isSymlink, "the store path is the symlink itself");
    assertEquals(smallNar(link, await hashOf(link)), await dumpOf(link));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("smallNar() gives nothing when the hash differs or the NAR is over the limit", async () => {
  const tree = await buildTree(newTag("narlimit"));
  const hash = await hashOf(tree);
  assertEquals(smallNar(tree, `sha256:${"0".repeat(64)}`), null);
  assertEquals(smallNar(tree, hash, 100), null);
  assertEquals(smallNar(`${tree}-missing`, hash), null);
});
