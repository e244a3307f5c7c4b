/**
 * The upload info is exactly what Attic's upload-path reads: ten keys, base
 * names, `sha256:<hex>`; it rides in the header below 4 KiB and in the body's
 * preamble from 4 KiB on.
 */

import { HEADER_LIMIT, placeUploadInfo, uploadInfo } from "../../src/attic/upload_info.ts";
import type { PathInfo } from "../../src/store/path_info.ts";
import { assertEquals } from "../helpers/assert.ts";

const HASH = "0123456789abcdfghijklmnpqrsvwxyz";
const INFO: PathInfo = {
  path: `/nix/store/${HASH}-hello-2.12`,
  narHash: `sha256:${"ab".repeat(32)}`,
  narSize: 4242,
  references: [
    `/nix/store/${HASH}-hello-2.12`,
    "/nix/store/1123456789abcdfghijklmnpqrsvwxyz-glibc",
  ],
  deriver: "/nix/store/2123456789abcdfghijklmnpqrsvwxyz-hello-2.12.drv",
  signatures: ["local-1:c2ln"],
  ca: null,
  ultimate: true,
};

Deno.test("uploadInfo() writes the ten documented keys, in the real client's order, with base names", () => {
  const info = uploadInfo("main", INFO);
  assertEquals(Object.keys(info), [
    "cache",
    "store_path_hash",
    "store_path",
    "references",
    "system",
    "deriver",
    "sigs",
    "ca",
    "nar_hash",
    "nar_size",
  ]);
  assertEquals(info.store_path_hash, HASH);
  assertEquals(info.references, [`${HASH}-hello-2.12`, "1123456789abcdfghijklmnpqrsvwxyz-glibc"]);
  assertEquals(info.deriver, "2123456789abcdfghijklmnpqrsvwxyz-hello-2.12.drv");
  assertEquals(info.system, null);
  assertEquals(uploadInfo("main", { ...INFO, deriver: null }).deriver, null);
});

Deno.test("placeUploadInfo() uses the header below 4 KiB and a preamble from 4 KiB on", () => {
  const small = placeUploadInfo(uploadInfo("main", INFO));
  assertEquals(small.preamble, null);
  assertEquals(JSON.parse(small.headers["x-attic-nar-info"]!).nar_size, 4242);

  // Enough references to pass the limit, as a path with a wide closure has.
  const references = Array.from(
    { length: 100 },
    (_, i) => `/nix/store/${String(i).padStart(32, "0")}-dependency`,
  );
  const wide = uploadInfo("main", { ...INFO, references });
  const placed = placeUploadInfo(wide);
  const bytes = new TextEncoder().encode(JSON.stringify(wide));
  assertEquals(bytes.length >= HEADER_LIMIT, true);
  assertEquals(placed.headers, { "x-attic-nar-info-preamble-size": String(bytes.length) });
  assertEquals(placed.preamble, bytes);
});
