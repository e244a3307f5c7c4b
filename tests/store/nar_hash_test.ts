/**
 * NAR hashes in every form Nix prints become the one Attic is sent,
 * `sha256:<hex>`; anything else is refused (null), never guessed.
 */

import { fromNixBase32, narHashHex } from "../../src/store/nar_hash.ts";
import { toNix32 } from "../attic_double/nix_store.ts";
import { assertEquals } from "../helpers/assert.ts";
import { ROOT, sh } from "../helpers/nix.ts";

// One NAR hash as Nix 2.8 prints it three ways (nix-store -q --hash, nix hash to-base16, path-info).
const NIX32 = "sha256:1rsjgm6kq1r9ynjxv8v5rhws1hpj9pq8zgkghzg0278mbjpicyv2";
const HEX = "sha256:627b16af5c151d01de876fbe8ff04df2c2a039cc65a3dda5f529073c4d7d52e7";
const SRI = "sha256-YnsWr1wVHQHeh2++j/BN8sKgOcxlo92l9SkHPE19Uuc=";

Deno.test("narHashHex() reads Nix base-32, SRI and hex as the same hash", () => {
  assertEquals(narHashHex(NIX32), HEX);
  assertEquals(narHashHex(SRI), HEX);
  assertEquals(narHashHex(HEX), HEX);
});

Deno.test("narHashHex() refuses other algorithms, lengths and alphabets", () => {
  for (
    const bad of [
      "md5:1rsjgm6kq1r9ynjxv8v5rhws1hpj9pq8zgkghzg0278mbjpicyv2",
      "sha256:1rsjgm6kq1r9ynjxv8v5rhws1hpj9pq8zgkghzg0278mbjpicyv", // 51 characters
      "sha256:ersjgm6kq1r9ynjxv8v5rhws1hpj9pq8zgkghzg0278mbjpicyv2", // 'e' is not Nix base-32
      "sha256:zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", // more than 256 bits
      "sha512-YnsWr1wVHQHeh2++j/BN8sKgOcxlo92l9SkHPE19Uuc=",
      "",
    ]
  ) {
    assertEquals(narHashHex(bad), null, bad);
  }
});

Deno.test("fromNixBase32() inverts Nix's own encoding for random digests", () => {
  for (let i = 0; i < 200; i++) {
    const bytes = crypto.getRandomValues(new Uint8Array(32));
    assertEquals(fromNixBase32(toNix32(bytes), 32), bytes);
  }
});

Deno.test("narHashHex() agrees with `nix hash to-base16` on a real path's hash", async () => {
  const path = (await sh("nix-store", ["--add", `${ROOT}/deno.json`])).stdout.trim();
  const nix32 = (await sh("nix-store", ["-q", "--hash", path])).stdout.trim();
  const hex = (await sh("nix", ["hash", "to-base16", nix32])).stdout.trim();
  assertEquals(narHashHex(nix32), `sha256:${hex}`);
});
