/**
 * What the cache gave back, counted from where the store says each path came
 * from: built here, or substituted (and signed by the cache's key, or not).
 */

import { countOrigins, formatSubstitution } from "../../src/report/substitution.ts";
import { assertEquals } from "../helpers/assert.ts";

const built = { built: true, signers: [] };
const ours = { built: false, signers: ["main-1"] };
const upstream = { built: false, signers: ["cache.nixos.org-1"] };
const both = { built: false, signers: ["cache.nixos.org-1", "main-1"] };

Deno.test("countOrigins() tells the cache's paths by its key, and others apart", () => {
  const counts = countOrigins([built, ours, ours, upstream, both, built], "main-1");
  assertEquals(counts, { substituted: 4, fromCache: 3, built: 2, cacheKey: "main-1" });
  assertEquals(
    formatSubstitution(counts),
    "resumed: 3 paths substituted from the cache, 2 built (and 1 substituted from other caches)",
  );
});

Deno.test("without the cache's key, substituted paths are counted without saying from where", () => {
  const counts = countOrigins([built, ours, upstream], null);
  assertEquals(counts, { substituted: 2, fromCache: null, built: 1, cacheKey: null });
  assertEquals(formatSubstitution(counts), "resumed: 2 paths substituted, 1 built");
});

Deno.test("an unsigned path that was not built (a source added from local files) counts as made here", () => {
  assertEquals(
    countOrigins([{ built: false, signers: [] }], "main-1"),
    { substituted: 0, fromCache: 0, built: 1, cacheKey: "main-1" },
  );
});

Deno.test("a first pipeline says it plainly: nothing came from the cache", () => {
  assertEquals(
    formatSubstitution(countOrigins([built, built], "main-1")),
    "resumed: 0 paths substituted from the cache, 2 built",
  );
});
