import { deepStrictEqual as assertEquals, equal, ok, throws } from "node:assert/strict";
import { parseBenchArgs, presetScenarios } from "./options.ts";

const context = { repoRoot: "/repo", tmpDir: "/tmp" };

function options(argv: string[]) {
  const parsed = parseBenchArgs(argv, context);
  if (parsed.help) throw new Error("unexpected help");
  return parsed.options;
}

Deno.test("parseBenchArgs() --quick selects the quick preset without docs", () => {
  const o = options(["--quick"]);
  equal(o.preset, "quick");
  equal(o.writeDocs, false);
  assertEquals(o.scenarios, presetScenarios("quick"));
  equal(o.atticDouble, "/repo/tests/attic_double/attic");
});

Deno.test("parseBenchArgs() defaults to the full preset, which writes the docs", () => {
  const o = options([]);
  equal(o.preset, "full");
  equal(o.writeDocs, true);
  ok(o.scenarios.some((s) => s.failing));
  ok(o.scenarios.some((s) => s.network.name === "none"));
});

Deno.test("parseBenchArgs() overrides make a custom preset", () => {
  const o = options([
    "--quick",
    "--nodes",
    "10,20",
    "--rounds",
    "2",
    "--no-fail",
    "--strategies",
    "a,d",
  ]);
  equal(o.preset, "custom");
  assertEquals(o.scenarios.map((s) => s.id), ["n10-modelled", "n20-modelled"]);
  ok(o.scenarios.every((s) => s.rounds === 2 && s.strategies.join() === "a,d"));
});

Deno.test("parseBenchArgs() --network none drops the bandwidth and latency", () => {
  const o = options(["--quick", "--network", "none", "--no-fail"]);
  assertEquals(o.scenarios.map((s) => [s.id, s.network.latencyMs, s.network.bandwidthBps]), [
    ["n32-none", 0, null],
  ]);
});

Deno.test("parseBenchArgs() rejects bad values with RangeError", () => {
  throws(() => parseBenchArgs(["--nodes", "0"], context), RangeError);
  throws(() => parseBenchArgs(["--strategies", "a,z"], context), RangeError);
  throws(() => parseBenchArgs(["--cache", "s3"], context), RangeError);
  throws(() => parseBenchArgs(["--quick", "--full"], context), RangeError);
});

Deno.test("parseBenchArgs() --help asks for help", () => {
  equal(parseBenchArgs(["--help"], context).help, true);
});

Deno.test("parseBenchArgs() --render re-renders without writing the docs unless asked", () => {
  const o = options(["--render", "/tmp/results.json"]);
  equal(o.renderFrom, "/tmp/results.json");
  equal(o.writeDocs, false);
  equal(options(["--render", "/tmp/results.json", "--docs"]).writeDocs, true);
});
