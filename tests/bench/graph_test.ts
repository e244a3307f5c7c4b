import { assert, assertEquals, assertThrows } from "../helpers/assert.ts";
import { DEFAULT_SHAPE, namePrefix, planGraph, renderGraph, sinks } from "../../bench/graph.ts";

Deno.test("planGraph() gives the same shape for the same seed", () => {
  const a = planGraph({ ...DEFAULT_SHAPE, nodes: 50, layers: 7 });
  const b = planGraph({ ...DEFAULT_SHAPE, nodes: 50, layers: 7 });
  assertEquals(a, b);
  const c = planGraph({ ...DEFAULT_SHAPE, nodes: 50, layers: 7, seed: 2 });
  assert(JSON.stringify(a.nodes) !== JSON.stringify(c.nodes));
});

Deno.test("planGraph() only depends on earlier layers and keeps sizes in KiB", () => {
  const plan = planGraph({ ...DEFAULT_SHAPE, nodes: 120, layers: 11 });
  assertEquals(plan.nodes.length, 120);
  for (const node of plan.nodes) {
    for (const dep of node.deps) assert(plan.nodes[dep]!.layer < node.layer);
    if (node.layer > 0) assert(node.deps.length >= 1);
    assertEquals(node.outputBytes % 1024, 0);
    assert(
      node.buildMs >= DEFAULT_SHAPE.buildMs * 0.5 && node.buildMs <= DEFAULT_SHAPE.buildMs * 1.5,
    );
  }
  assert(plan.criticalPathMs <= plan.totalBuildMs);
});

Deno.test("planGraph() rejects impossible shapes with RangeError", () => {
  assert(
    assertThrows(() => planGraph({ ...DEFAULT_SHAPE, nodes: 0 }), "nodes") instanceof RangeError,
  );
  assert(
    assertThrows(() => planGraph({ ...DEFAULT_SHAPE, nodes: 3, layers: 4 }), "layers") instanceof
      RangeError,
  );
  assert(
    assertThrows(() => planGraph({ ...DEFAULT_SHAPE, jitter: 2 }), "jitter") instanceof RangeError,
  );
});

Deno.test("renderGraph() names every derivation with the tag and roots the sinks", () => {
  const plan = planGraph({ ...DEFAULT_SHAPE, nodes: 12, layers: 3 });
  const nix = renderGraph(plan, "abc123");
  assert(nix.includes('prefix = "bench-abc123-";'));
  assert(nix.includes('builder = "/bin/sh";'));
  for (let i = 0; i < 12; i++) assert(nix.includes(`n${i} = mk "n${i}"`));
  const root = /all = mk "all" "0" 1 \[ ([^\]]*) \]/.exec(nix)?.[1]?.trim().split(" ") ?? [];
  assertEquals(root, sinks(plan).map((i) => `n${i}`));
  assertEquals(namePrefix("abc123"), "bench-abc123-");
});

Deno.test("renderGraph() adds a failing derivation under the root when failHalfway", () => {
  const plan = planGraph({ ...DEFAULT_SHAPE, nodes: 12, layers: 4 });
  const nix = renderGraph(plan, "t1", { failHalfway: true });
  assert(nix.includes("fail = derivation {"));
  assert(nix.includes("exit 1"));
  assert(/all = mk "all" "0" 1 \[[^\]]* fail \]/.test(nix));
});

Deno.test("renderGraph() rejects a tag that is not alphanumeric", () => {
  const plan = planGraph({ ...DEFAULT_SHAPE, nodes: 5, layers: 5 });
  assert(assertThrows(() => renderGraph(plan, "a-b"), "alphanumeric") instanceof RangeError);
});
