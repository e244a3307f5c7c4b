/**
 * Validity and closures from Nix's database are what `nix-store
 * --check-validity` and `nix path-info --recursive` answer, and where the
 * database cannot be read the processes answer instead.
 */

import { NixValidityChecker } from "../../src/store/validity_checker.ts";
import { NixDatabase, nixDatabaseFile } from "../../src/store/nix_database.ts";
import { NixPathInfoReader } from "../../src/store/path_info.ts";
import { storeQueries } from "../../src/store/store_queries.ts";
import { assertEquals, assertRejects } from "../helpers/assert.ts";
import { testSystem } from "../helpers/context.ts";
import { buildGraph, graphBuild, newTag, sh, storePathsOf } from "../helpers/nix.ts";

/** A graph whose build fails halfway: valid outputs and invalid leftovers. */
async function halfBuilt(tag: string): Promise<{ valid: string[]; invalid: string[] }> {
  const [program, ...args] = graphBuild(tag, { width: 3, depth: 3, failAt: "l1n1" });
  await sh(program!, [...args, "--no-out-link", "--keep-going"]);
  return await storePathsOf(tag);
}

function byPath<T extends { path: string }>(infos: T[]): T[] {
  return [...infos].sort((a, b) => a.path.localeCompare(b.path));
}

Deno.test("the database answers validity and closures exactly as nix-store and nix path-info do", async () => {
  const system = testSystem();
  const queries = storeQueries(system, { storeDir: "/nix/store", env: system.env });
  const { valid, invalid } = await halfBuilt(newTag("db"));
  const asked = [...valid, ...invalid, "/nix/store/00000000000000000000000000000000-never"];
  assertEquals(
    await queries.checker.check(asked),
    await new NixValidityChecker(system).check(asked),
  );
  assertEquals(
    byPath(await queries.infos.closure(valid)),
    byPath(await new NixPathInfoReader(system).closure(valid)),
  );
  await assertRejects(() => queries.infos.closure([invalid[0]!]), "is not valid");
});

Deno.test("where the database cannot be read, the processes answer", async () => {
  const system = testSystem();
  const env = { ...system.env, NIX_STATE_DIR: "/nonexistent/attic-ci-test" };
  const queries = storeQueries(system, { storeDir: "/nix/store", env });
  const { valid, invalid } = await halfBuilt(newTag("nodb"));
  assertEquals(await queries.checker.check([...valid, ...invalid]), { valid, invalid });
  assertEquals((await queries.infos.closure(valid)).length >= valid.length, true);
});

Deno.test("nixDatabaseFile() reads the local store's database only", () => {
  assertEquals(nixDatabaseFile("/nix/store", {}), "/nix/var/nix/db/db.sqlite");
  assertEquals(
    nixDatabaseFile("/nix/store", { NIX_REMOTE: "daemon" }),
    "/nix/var/nix/db/db.sqlite",
  );
  assertEquals(
    nixDatabaseFile("/tmp/s/store", { NIX_STORE_DIR: "/tmp/s/store", NIX_STATE_DIR: "/tmp/s/var" }),
    "/tmp/s/var/db/db.sqlite",
  );
  assertEquals(nixDatabaseFile("/other/store", {}), null, "not the store Nix uses here");
  assertEquals(nixDatabaseFile("/nix/store", { NIX_REMOTE: "ssh-ng://builder" }), null);
});

Deno.test("the database's closure neither gives nor follows paths a push already holds", async () => {
  const system = testSystem();
  const queries = storeQueries(system, { storeDir: "/nix/store", env: system.env });
  const top = await buildGraph(newTag("prune"), { width: 2, depth: 3 });
  const closure = (await sh("nix-store", ["-qR", top])).stdout.trim().split("\n");
  const held = new Set(closure.filter((path) => path !== top));
  const infos = await queries.infos.closure([top], undefined, (path) => held.has(path));
  assertEquals(infos.map((info) => info.path), [top]);
  assertEquals(infos[0]!.references.length > 0, true, "its references are still listed");
});

Deno.test("the database's connection stays open while queries keep coming and closes once unused", async () => {
  const db = new NixDatabase(nixDatabaseFile("/nix/store", {})!, { idleCheckMs: 200 });
  const top = await buildGraph(newTag("idle"), { width: 1, depth: 1 });
  try {
    assertEquals(db.isOpen, false, "opened by the first query, not before");
    for (let i = 0; i < 12; i++) { // ~0.5 s: two checks, each after ~5 queries
      assertEquals(db.validPaths([top]).has(top), true);
      assertEquals(db.isOpen, true, `closed while in use (query ${i})`);
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    await new Promise((resolve) => setTimeout(resolve, 500)); // two checks without a query
    assertEquals(db.isOpen, false, "still open after two idle checks");
    assertEquals(db.validPaths([top]).has(top), true, "reopened by the next query");
  } finally {
    db.close();
  }
});
