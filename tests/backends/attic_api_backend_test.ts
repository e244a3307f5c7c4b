/**
 * The attic backend on the built-in client, one push call at a time against
 * the Attic test server: the closure of the batch is pushed, paths signed by
 * the cache's upstream are left to the upstream, references are uploaded
 * before the paths that need them, and what the cache is known to hold is not
 * asked about again.
 */

import { AtticApi } from "../../src/attic/attic_api.ts";
import { AtticApiBackend } from "../../src/backends/attic_api_backend.ts";
import { NixPathInfoReader } from "../../src/store/path_info.ts";
import { systemClock } from "../../src/system/clock.ts";
import { assert, assertEquals } from "../helpers/assert.ts";
import { type ApiWorld, apiWorld, hashOf } from "../helpers/attic_api.ts";
import { CACHE } from "../helpers/attic.ts";
import { testSystem } from "../helpers/context.ts";
import { buildGraph, newTag, sh } from "../helpers/nix.ts";

function backend(world: ApiWorld, builtHereIsMissing = false): AtticApiBackend {
  const system = testSystem();
  const api = new AtticApi(system, system, {
    server: world.server.url,
    cache: CACHE,
    token: world.token,
    tokenSource: "ATTIC_TOKEN",
    clock: systemClock,
  });
  return new AtticApiBackend(api, new NixPathInfoReader(system), {
    cache: CACHE,
    server: world.server.url,
    builtHereIsMissing,
  });
}

async function closureOf(path: string): Promise<string[]> {
  return (await sh("nix-store", ["-qR", path])).stdout.trim().split("\n");
}

function apiCalls(world: ApiWorld, route: string): number {
  return world.server.requests.filter((r) => r.path.endsWith(route)).length;
}

Deno.test("a push uploads the batch's closure, every reference before the paths that need it", async () => {
  const world = await apiWorld();
  try {
    const top = await buildGraph(newTag("ord"), { width: 3, depth: 4 });
    const b = backend(world);
    await b.push([top]);
    const closure = await closureOf(top);
    assertEquals(b.transfer.uploaded, closure.length);
    const order = world.uploads();
    assertEquals(order.length, closure.length);
    for (const path of closure) {
      const references = (await sh("nix-store", ["-q", "--references", path])).stdout.trim();
      for (const reference of references.split("\n").filter((r) => r && r !== path)) {
        assert(
          order.indexOf(hashOf(reference)) < order.indexOf(hashOf(path)),
          `${reference} was uploaded after ${path}, which needs it`,
        );
      }
    }
  } finally {
    await world.dispose();
  }
});

Deno.test("paths signed by the cache's upstream are left to it; locally built ones are pushed", async () => {
  const world = await apiWorld();
  try {
    const keys = await sh("nix", ["key", "generate-secret", "--key-name", "cache.nixos.org-1"]);
    const keyFile = `${world.dir}/upstream.key`;
    await Deno.writeTextFile(keyFile, keys.stdout);
    const top = await buildGraph(newTag("up"), { width: 2, depth: 2 });
    const closure = await closureOf(top);
    const upstream = closure.filter((p) => p !== top);
    const signed = await sh("nix", ["store", "sign", "--key-file", keyFile, ...upstream]);
    assertEquals(signed.code, 0, signed.stderr);

    const b = backend(world);
    await b.push([top]);
    assertEquals(world.uploads(), [hashOf(top)]);
    assertEquals(b.transfer.fromUpstream, upstream.length);
    assertEquals(b.transfer.uploaded, 1);
  } finally {
    await world.dispose();
  }
});

Deno.test("what the cache is known to hold is not asked about again by later pushes", async () => {
  const world = await apiWorld();
  try {
    const top = await buildGraph(newTag("known"), { width: 2, depth: 3 });
    const b = backend(world);
    await b.push([top]);
    const asked = apiCalls(world, "/get-missing-paths");
    const uploaded = world.uploads().length;
    await b.push([top]);
    assertEquals(apiCalls(world, "/get-missing-paths"), asked, "no question for known paths");
    assertEquals(world.uploads().length, uploaded);
    assertEquals(apiCalls(world, "/cache-config/main"), 1, "the cache's configuration once");
  } finally {
    await world.dispose();
  }
});

Deno.test("where the job's Nix pulls from the cache, outputs it built are uploaded without asking; substituted and added paths are asked about", async () => {
  const world = await apiWorld();
  try {
    const top = await buildGraph(newTag("asked"), { width: 2, depth: 2 });
    const closure = await closureOf(top);
    const b = backend(world, true);
    await b.push([top]);
    assertEquals(apiCalls(world, "/get-missing-paths"), 0, "every path was built here");
    assertEquals(b.transfer.uploaded, closure.length);

    // A path that came from elsewhere (substituted from a binary cache: not `ultimate`) is asked.
    const other = await buildGraph(newTag("fetched"), { width: 1, depth: 1 });
    const binaryCache = `file://${world.dir}/elsewhere`;
    for (
      const [program, ...args] of [
        ["nix", "copy", "--to", binaryCache, other],
        ["nix-store", "--delete", other],
        [
          "nix-store",
          "-r",
          other,
          "--option",
          "substituters",
          binaryCache,
          "--option",
          "require-sigs",
          "false",
        ],
      ]
    ) {
      const step = await sh(program!, args);
      assertEquals(step.code, 0, `${program} ${args.join(" ")}: ${step.stderr}`);
    }
    await b.push([other]);
    assertEquals(apiCalls(world, "/get-missing-paths"), 1, "the substituted path was asked about");
    assert(world.uploads().includes(hashOf(other)), "and uploaded, as the cache lacked it");

    // A path added to the store (no derivation: Nix never asked the cache about it) is asked too.
    const file = `${world.dir}/added-${crypto.randomUUID()}`;
    await Deno.writeTextFile(file, crypto.randomUUID());
    const added = (await sh("nix-store", ["--add", file])).stdout.trim();
    await b.push([added]);
    assertEquals(apiCalls(world, "/get-missing-paths"), 2, "the added path was asked about");
  } finally {
    await world.dispose();
  }
});
