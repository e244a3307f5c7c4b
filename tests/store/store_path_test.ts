/**
 * Store paths and the names Nix leaves in the store directory.
 */

import {
  isDerivation,
  isStorePathName,
  lockedPathName,
  resolveStorePath,
  storePath,
  storePathName,
  toTopLevelStorePath,
} from "../../src/store/store_path.ts";
import { assertEquals } from "../helpers/assert.ts";
import { tempDir } from "../helpers/nix.ts";

const HASH = "0123456789abcdfghijklmnpqrsvwxyz"; // Nix's base-32 alphabet: no e, o, u, t

Deno.test("isStorePathName() takes hash-name entries and refuses locks, scratch files and other alphabets", () => {
  assertEquals(isStorePathName(`${HASH}-hello-2.12`), true);
  assertEquals(isStorePathName(`${HASH}-hello.drv`), true);
  for (const name of [`${HASH}-x.lock`, `${HASH}-x.chroot`, `${HASH}-x.check`, `${HASH}-x.tmp`]) {
    assertEquals(isStorePathName(name), false, name);
  }
  assertEquals(isStorePathName(`${HASH.replace("a", "e")}-x`), false, "e is not in the alphabet");
  assertEquals(isStorePathName(".links"), false);
});

Deno.test("lockedPathName() names the path a removed lock belongs to, and nothing else", () => {
  assertEquals(lockedPathName(`${HASH}-hello.lock`), `${HASH}-hello`);
  assertEquals(lockedPathName(`${HASH}-hello`), null);
  assertEquals(lockedPathName("gc.lock"), null);
});

Deno.test("toTopLevelStorePath() cuts a path inside the store to its store path", () => {
  assertEquals(
    toTopLevelStorePath("/nix/store/", `/nix/store/${HASH}-x/bin/y`),
    `/nix/store/${HASH}-x`,
  );
  assertEquals(toTopLevelStorePath("/nix/store", "/nix/var/x"), null);
  assertEquals(toTopLevelStorePath("/nix/store", "/nix/store/.links/z"), null);
  assertEquals(storePath("/nix/store/", `${HASH}-x`), `/nix/store/${HASH}-x`);
  assertEquals(storePathName(`/nix/store/${HASH}-x`), `${HASH}-x`);
  assertEquals(isDerivation(`/nix/store/${HASH}-x.drv`), true);
});

Deno.test("resolveStorePath() follows links such as ./result into the store, and refuses others", async () => {
  const dir = await tempDir();
  try {
    const store = `${dir}/store`;
    await Deno.mkdir(`${store}/${HASH}-out/bin`, { recursive: true });
    await Deno.symlink(`${store}/${HASH}-out`, `${dir}/result`);
    await Deno.symlink(`${dir}/elsewhere`, `${dir}/dangling`);
    assertEquals(await resolveStorePath(store, `${dir}/result`), `${store}/${HASH}-out`);
    assertEquals(await resolveStorePath(store, `${store}/${HASH}-out/bin`), `${store}/${HASH}-out`);
    assertEquals(await resolveStorePath(store, `${dir}/dangling`), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
