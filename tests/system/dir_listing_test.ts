/**
 * The directory listing, on `getdents64` and on its fallback `Deno.readDir`:
 * the same names as `Deno.readDirSync` for any entry, in batches, and the
 * same errors for a directory that cannot be listed.
 */

import { dirEntryNames, parseDirents } from "../../src/system/dir_listing.ts";
import { assert, assertEquals, assertRejects } from "../helpers/assert.ts";

async function batchesOf(dir: string, options: Parameters<typeof dirEntryNames>[1]) {
  const batches: string[][] = [];
  for await (const batch of dirEntryNames(dir, options)) batches.push(batch);
  return batches;
}

/** A directory of `count` files plus one of every other kind of entry and name. */
async function populated(count: number): Promise<{ dir: string; names: string[] }> {
  const dir = await Deno.makeTempDir();
  for (let i = 0; i < count; i++) {
    Deno.writeTextFileSync(`${dir}/${i.toString(36).padStart(4, "0")}-attic-ci-entry`, "");
  }
  Deno.mkdirSync(`${dir}/a-directory`);
  Deno.symlinkSync("/nonexistent", `${dir}/a-dangling-link`);
  Deno.writeTextFileSync(`${dir}/.hidden`, "");
  Deno.writeTextFileSync(`${dir}/café ünïcødé ✓`, "");
  Deno.writeTextFileSync(`${dir}/${"n".repeat(255)}`, "");
  const names = [...Deno.readDirSync(dir)].map((entry) => entry.name).sort();
  return { dir, names };
}

for (const readDir of [false, true]) {
  const via = readDir ? "Deno.readDir" : "getdents64";

  Deno.test(`${via}: every entry's name, as Deno.readDirSync gives them, and never . or ..`, async () => {
    const { dir, names } = await populated(3_000);
    try {
      const listed = (await batchesOf(dir, { readDir })).flat();
      assertEquals(listed.length, names.length);
      assertEquals(listed.sort(), names);
      assert(!listed.includes(".") && !listed.includes(".."));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  Deno.test(`${via}: an empty directory lists nothing`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      assertEquals((await batchesOf(dir, { readDir })).flat(), []);
    } finally {
      await Deno.remove(dir);
    }
  });

  Deno.test(`${via}: a directory that cannot be listed fails as Deno.readDir does`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      const missing = await assertRejects(() => batchesOf(`${dir}/missing`, { readDir }));
      assert(missing instanceof Deno.errors.NotFound, `${missing.name}: ${missing.message}`);
      Deno.writeTextFileSync(`${dir}/file`, "");
      const file = await assertRejects(() => batchesOf(`${dir}/file`, { readDir }));
      const expected = await assertRejects(() => Array.fromAsync(Deno.readDir(`${dir}/file`)));
      assertEquals(file.name, expected.name);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("getdents64 lists a buffer's worth at a time: a 1 KiB buffer gives many small batches, the same names", async () => {
  const { dir, names } = await populated(500);
  try {
    const batches = await batchesOf(dir, { bufferBytes: 1024 });
    // 1 KiB holds some 25 of these entries; Deno.readDir's batches are 4,096 names.
    assert(batches.length > 10, `${batches.length} batches`);
    assert(batches.every((batch) => batch.length <= 40), "a batch larger than the buffer holds");
    assertEquals(batches.flat().sort(), names);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseDirents() reads each struct linux_dirent64 by its record length, skipping . and ..", () => {
  const records = [".", "..", "abc-x", "é"].map((name) => {
    const bytes = new TextEncoder().encode(name);
    const length = Math.ceil((19 + bytes.length + 1) / 8) * 8; // padded to 8, as the kernel does
    const record = new Uint8Array(length);
    new DataView(record.buffer).setUint16(16, length, true);
    record[18] = 8; // DT_REG: not read
    record.set(bytes, 19);
    return record;
  });
  const buffer = new Uint8Array(records.reduce((sum, r) => sum + r.length, 0));
  let at = 0;
  for (const record of records) {
    buffer.set(record, at);
    at += record.length;
  }
  assertEquals(parseDirents(buffer), ["abc-x", "é"]);
  assertEquals(parseDirents(new Uint8Array(0)), []);
});
