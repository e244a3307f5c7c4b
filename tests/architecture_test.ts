/**
 * The house runs one way: no file under `src/` imports from a layer above its
 * own, as docs/architecture.md lists the layers; side effects stay behind the
 * system seam.
 */

import { assert, assertEquals } from "./helpers/assert.ts";
import { ROOT } from "./helpers/nix.ts";

/** The layers as docs/architecture.md lists them, top first: each a list of folders or files. */
async function layers(): Promise<string[][]> {
  const doc = await Deno.readTextFile(`${ROOT}/docs/architecture.md`);
  const list = doc.slice(doc.indexOf("<!-- layers -->"), doc.indexOf("<!-- /layers -->"));
  return [...list.matchAll(/^\d+\. (.+)$/gm)].map((m) =>
    [...m[1]!.matchAll(/`([^`]+)`/g)].map((n) => n[1]!.replace(/\/$/, ""))
  );
}

/** Every .ts file under src/, relative to it. */
async function sources(dir = `${ROOT}/src`, prefix = ""): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const rel = prefix + entry.name;
    if (entry.isDirectory) files.push(...await sources(`${dir}/${entry.name}`, `${rel}/`));
    else if (entry.name.endsWith(".ts")) files.push(rel);
  }
  return files.sort();
}

/** The relative imports of a file, resolved against src/. */
async function importsOf(file: string): Promise<string[]> {
  const text = await Deno.readTextFile(`${ROOT}/src/${file}`);
  const base = new URL(file, "file:///src/");
  return [...text.matchAll(/^(?:import|export)[^;]*?from\s+"(\.[^"]+)"/gms)]
    .map((m) => new URL(m[1]!, base).pathname)
    .filter((path) => path.startsWith("/src/"))
    .map((path) => path.slice("/src/".length));
}

Deno.test("every file under src/ belongs to a layer of docs/architecture.md, and imports only its own or lower ones", async () => {
  const order = await layers();
  assert(order.length >= 10, `docs/architecture.md lists ${order.length} layers`);
  const layerOf = (file: string): number => {
    const top = file.includes("/") ? file.slice(0, file.indexOf("/")) : file;
    return order.findIndex((names) => names.includes(top));
  };
  const upward: string[] = [];
  for (const file of await sources()) {
    const own = layerOf(file);
    assert(own >= 0, `src/${file} is in no layer of docs/architecture.md`);
    for (const imported of await importsOf(file)) {
      if (imported === "../deno.json" || imported.startsWith("..")) continue;
      const theirs = layerOf(imported);
      assert(theirs >= 0, `src/${file} imports src/${imported}, which is in no layer`);
      if (theirs < own) upward.push(`src/${file} → src/${imported}`);
    }
  }
  assertEquals(upward, [], "imports that run back up the layers");
});

Deno.test("commands never import each other (they share what they need through session/)", async () => {
  const shared = new Set(["commands/outcome.ts"]);
  const sideways: string[] = [];
  for (const file of (await sources()).filter((f) => f.startsWith("commands/"))) {
    for (const imported of await importsOf(file)) {
      if (imported.startsWith("commands/") && !shared.has(imported)) {
        sideways.push(`${file} → ${imported}`);
      }
    }
  }
  assertEquals(sideways, []);
});

Deno.test("side effects go through the system seam: no Deno.Command, Deno.kill, signal listeners, Date.now or Deno.env elsewhere", async () => {
  const forbidden = /Deno\.Command|Deno\.kill|addSignalListener|Date\.now|Deno\.env/;
  const offenders: string[] = [];
  for (const file of await sources()) {
    if (file.startsWith("system/") || file === "main.ts") continue;
    const lines = (await Deno.readTextFile(`${ROOT}/src/${file}`)).split("\n");
    lines.forEach((line, i) => {
      if (forbidden.test(line)) offenders.push(`src/${file}:${i + 1}: ${line.trim()}`);
    });
  }
  assertEquals(offenders, []);
});
