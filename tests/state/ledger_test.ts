/**
 * The ledger's baseline: written in chunks (a large store's baseline is
 * megabytes), private, and read back entry for entry by a later process.
 */

import { BASELINE_HEADER, Ledger } from "../../src/state/ledger.ts";
import { stateFiles, writePrivateLines } from "../../src/state/state_dir.ts";
import { assertEquals } from "../helpers/assert.ts";
import { tempDir } from "../helpers/nix.ts";

Deno.test("a baseline of 20,000 entries (several write chunks) reads back exactly, from a 0600 file", async () => {
  const dir = await tempDir();
  try {
    const files = stateFiles(dir);
    const baseline = new Set(
      Array.from({ length: 20_000 }, (_, i) => `${String(i).padStart(32, "0")}-entry-${i}`),
    );
    await Ledger.begin(files, baseline);
    assertEquals((await Deno.stat(files.baseline)).mode! & 0o777, 0o600);
    const text = await Deno.readTextFile(files.baseline);
    assertEquals(text.split("\n")[0], BASELINE_HEADER);
    assertEquals(text.endsWith("\n"), true);
    const reopened = await Ledger.open(files);
    assertEquals([...reopened.baseline()!], [...baseline]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writePrivateLines ends every line, leaves no temporary file, and replaces the old file", async () => {
  const dir = await tempDir();
  try {
    const file = `${dir}/lines.txt`;
    await Deno.writeTextFile(file, "old\n");
    await writePrivateLines(file, ["a", "b", "c"]);
    assertEquals(await Deno.readTextFile(file), "a\nb\nc\n");
    await writePrivateLines(file, []);
    assertEquals(await Deno.readTextFile(file), "");
    assertEquals([...Deno.readDirSync(dir)].map((entry) => entry.name), ["lines.txt"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
