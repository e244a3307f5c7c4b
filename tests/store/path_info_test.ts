/**
 * Path infos for uploads: read in bulk for a whole closure, in the shapes of
 * every supported Nix (2.8's list, the newer object keyed by path with SRI
 * hashes and, in the newest, base names), always as full paths, sorted
 * references and a hex NAR hash.
 */

import { NixPathInfoReader } from "../../src/store/path_info.ts";
import { assert, assertEquals, assertRejects } from "../helpers/assert.ts";
import { testSystem } from "../helpers/context.ts";
import { buildGraph, newTag, sh, storePathsOf } from "../helpers/nix.ts";

const A = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-a";
const B = "/nix/store/1123456789abcdfghijklmnpqrsvwxyz-b";
const D = "/nix/store/2123456789abcdfghijklmnpqrsvwxyz-a.drv";
const SRI = "sha256-YnsWr1wVHQHeh2++j/BN8sKgOcxlo92l9SkHPE19Uuc=";
const HEX = "sha256:627b16af5c151d01de876fbe8ff04df2c2a039cc65a3dda5f529073c4d7d52e7";

function reader(): NixPathInfoReader {
  return new NixPathInfoReader(testSystem());
}

Deno.test("parse() reads Nix 2.8's list, sorting references and naming no signature as none", () => {
  const [info] = reader().parse(JSON.stringify([
    { path: A, narHash: SRI, narSize: 280, references: [B, A], deriver: D, registrationTime: 1 },
  ]));
  assertEquals(info, {
    path: A,
    narHash: HEX,
    narSize: 280,
    references: [A, B],
    deriver: D,
    signatures: [],
    ca: null,
    ultimate: false,
  });
});

Deno.test("parse() reads newer Nix's object keyed by path, base names included, skipping invalid paths", () => {
  const infos = reader().parse(JSON.stringify({
    [A]: {
      narHash: SRI,
      narSize: 1,
      references: ["1123456789abcdfghijklmnpqrsvwxyz-b"],
      deriver: "2123456789abcdfghijklmnpqrsvwxyz-a.drv",
      signatures: ["cache.nixos.org-1:abc="],
      ca: "fixed:r:sha256:1rsjgm6kq1r9ynjxv8v5rhws1hpj9pq8zgkghzg0278mbjpicyv2",
    },
    [B]: null,
  }));
  assertEquals(infos.length, 1);
  assertEquals(infos[0]!.references, [B]);
  assertEquals(infos[0]!.deriver, D);
  assertEquals(infos[0]!.signatures, ["cache.nixos.org-1:abc="]);
  assert(infos[0]!.ca?.startsWith("fixed:r:"));
});

Deno.test("parse() says which part it does not understand instead of pushing wrong metadata", () => {
  const r = reader();
  for (
    const [json, part] of [
      ['[{"path": "x"}]', "does not understand"],
      ["not json", "does not understand"],
      [JSON.stringify([{ path: A, narHash: "md5:x", narSize: 1, references: [] }]), "NAR hash"],
    ]
  ) {
    let message = "";
    try {
      r.parse(json!);
    } catch (error) {
      message = (error as Error).message;
    }
    assert(message.includes(part!), `${json}: ${message}`);
  }
});

Deno.test("closure() of a real build is its whole runtime closure, in one nix call, with Nix's hashes", async () => {
  const tag = newTag("pi");
  const top = await buildGraph(tag, { width: 2, depth: 2 });
  const infos = await reader().closure([top]);
  const requisites = (await sh("nix-store", ["-qR", top])).stdout.trim().split("\n").sort();
  assertEquals(infos.map((i) => i.path).sort(), requisites);
  const { valid } = await storePathsOf(tag);
  assertEquals(valid.length, 5);
  for (const info of infos) {
    const nix32 = (await sh("nix-store", ["-q", "--hash", info.path])).stdout.trim();
    const hex = (await sh("nix", ["hash", "to-base16", nix32])).stdout.trim();
    assertEquals(info.narHash, `sha256:${hex}`, info.path);
    const refs = (await sh("nix-store", ["-q", "--references", info.path])).stdout.trim();
    assertEquals(info.references, refs === "" ? [] : refs.split("\n").sort());
  }
  await assertRejects(() => reader().closure([`${top}-not-there`]), "nix path-info failed");
});
