/**
 * The ledger's baseline: written in chunks (a large store's baseline is
 * megabytes), private, and read back entry for entry by a later process.
 */

import { StateFileError } from "../../src/errors.ts";
import { BASELINE_HEADER, Ledger, LEDGER_HEADER } from "../../src/state/ledger.ts";
import { stateFiles, writePrivateLines } from "../../src/state/state_dir.ts";
import { assert, assertEquals, assertIncludes } from "../helpers/assert.ts";
import { tempDir } from "../helpers/nix.ts";

Deno.test("a baseline of 20,000 entries (several write chunks) reads back exactly, from a 0600 file", async () => {
  const dir = await tempDir();
  try {
    const files = stateFiles(dir);
    const baseline = new Set(
      Array.from({ length: 20_000 }, (_, i) => `${String(i).padStart(32, "0")}-entry-${i}`),
    );
    await (await Ledger.begin(files, Promise.resolve(baseline))).baselineWritten();
    assertEquals((await Deno.stat(files.baseline)).mode! & 0o777, 0o600);
    const text = await Deno.readTextFile(files.baseline);
    assertEquals(text.split("\n")[0], BASELINE_HEADER);
    assertEquals(text.endsWith("\n"), true);
    const reopened = await Ledger.open(files);
    assertEquals([...(await reopened.baseline())!], [...baseline]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("names that leave a live baseline after it was written are left out of its file too, however often asked", async () => {
  const dir = await tempDir();
  try {
    const files = stateFiles(dir);
    const names = new Set(Array.from({ length: 5 }, (_, i) => `${String(i).padStart(32, "0")}-p`));
    const ledger = await Ledger.begin(files, Promise.resolve(names));
    await ledger.baselineWritten();
    // A late event: the session made two of them; a `stop` elsewhere reads the file.
    names.delete(`${"1".padStart(32, "0")}-p`);
    ledger.rewriteBaseline();
    names.delete(`${"3".padStart(32, "0")}-p`);
    ledger.rewriteBaseline();
    ledger.rewriteBaseline();
    await ledger.baselineWritten();
    const reopened = await Ledger.open(files);
    assertEquals([...(await reopened.baseline())!], [...names]);
    assertEquals(names.size, 3);
    const left = [...Deno.readDirSync(dir)].filter((entry) => entry.name.endsWith(".tmp"));
    assertEquals(left, [], "no temporary file left");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a killed watcher's baseline is checked against the store: entries changed since the session started leave it", async () => {
  const dir = await tempDir();
  try {
    const store = `${dir}/store`;
    await Deno.mkdir(store);
    const old = `${"1".padStart(32, "0")}-old`;
    const made = `${"2".padStart(32, "0")}-made-while-listing`;
    await Deno.writeTextFile(`${store}/${old}`, "");
    const oldChanged = (await Deno.lstat(`${store}/${old}`)).ctime!.getTime();
    const files = stateFiles(dir);
    await (await Ledger.begin(files, Promise.resolve(new Set([old, made])))).baselineWritten();
    // A later change by the clock: a ctime is read to the second here.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await Deno.writeTextFile(`${store}/${made}`, "");
    const reopened = await Ledger.open(files);
    // The session started after `old` was made, before `made` was.
    assertEquals(await reopened.distrustBaselineSince(store, oldChanged + 1_000), 1);
    assertEquals([...(await reopened.baseline())!], [old]);
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

Deno.test("a ledger line that is not a store path is refused as a file attic-ci did not write", async () => {
  const dir = await tempDir();
  try {
    const files = stateFiles(dir);
    await Deno.writeTextFile(files.ledger, `${LEDGER_HEADER}\n/nix/store/not-a-hash\n`);
    const error = await Ledger.open(files).then(() => null, (e: Error) => e);
    assert(error instanceof StateFileError, String(error));
    assertIncludes(error.message, "not a store path: /nix/store/not-a-hash");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
