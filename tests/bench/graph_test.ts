import { assert, assertEquals, assertThrows } from "../helpers/assert.ts";
import {
  CPU_LOOP,
  DEFAULT_SHAPE,
  namePrefix,
  planGraph,
  renderGraph,
  sinks,
} from "../../bench/graph.ts";

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

Deno.test("renderGraph() makes builders sleep by default and compute with loopsPerSecond", () => {
  const plan = planGraph({ ...DEFAULT_SHAPE, nodes: 6, layers: 2 });
  const sleeping = renderGraph(plan, "t1");
  assert(sleeping.includes("/bin/sleep $sleep"));
  assert(!sleeping.includes(CPU_LOOP));
  assert(sleeping.includes(`n0 = mk "n0" "${(plan.nodes[0]!.buildMs / 1000).toFixed(3)}"`));

  const computing = renderGraph(plan, "t1", { loopsPerSecond: 100_000 });
  assert(!computing.includes("/bin/sleep"));
  assert(computing.includes(CPU_LOOP));
  assert(computing.includes("inherit loops kib deps;"));
  // buildMs of work at 100,000 loops per CPU second.
  assert(computing.includes(`n0 = mk "n0" "${plan.nodes[0]!.buildMs * 100}"`));
  assert(computing.includes('all = mk "all" "0" 1'));
  assert(
    assertThrows(() => renderGraph(plan, "t1", { loopsPerSecond: 0 }), "loopsPerSecond") instanceof
      RangeError,
  );
});

Deno.test("CPU_LOOP runs in /bin/sh with builtins only, for the given number of loops", async () => {
  const out = await new Deno.Command("/bin/sh", {
    args: ["-c", `loops=1000\n${CPU_LOOP}\necho "$i"`],
    env: { PATH: "" },
    clearEnv: true,
  }).output();
  assertEquals(new TextDecoder().decode(out.stdout), "0\n");
  assertEquals(out.code, 0);
});
