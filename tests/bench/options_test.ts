import { assert, assertEquals, assertIncludes, assertThrows } from "../helpers/assert.ts";
import { HELP, parseBenchArgs, presetScenarios } from "../../bench/options.ts";

function options(argv: string[]) {
  const parsed = parseBenchArgs(argv);
  if (parsed.help) throw new Error("unexpected help");
  return parsed.options;
}

Deno.test("parseBenchArgs() --quick selects the quick preset, which leaves the docs alone", () => {
  const o = options(["--quick"]);
  assertEquals(o.preset, "quick");
  assertEquals(o.writeDocs, false);
  assertEquals(o.scenarios, presetScenarios("quick"));
});

Deno.test("parseBenchArgs() defaults to the full preset, which updates the docs", () => {
  const o = options([]);
  assertEquals(o.preset, "full");
  assertEquals(o.writeDocs, true);
  assertEquals(options(["--full"]), o);
  assertEquals(o.scenarios.map((s) => s.id), [
    "n100-modelled",
    "n100-modelled-cpu",
    "n500-modelled",
    "n1000-modelled-cpu",
    "n100-none",
    "n100-fail",
  ]);
  assertEquals(o.scenarios.map((s) => s.builders), [
    "sleep",
    "cpu",
    "sleep",
    "cpu",
    "sleep",
    "sleep",
  ]);
  // Every scenario of the documented run has the defaults (f) beside the CLI (d).
  assert(o.scenarios.every((s) => s.strategies.includes("d") && s.strategies.includes("f")));
  // The 1,000-derivation one: the baselines, both clients and the build reading the cache.
  assertEquals(o.scenarios[3]!.strategies.join(""), "abdfh");
});

Deno.test("parseBenchArgs() --quick keeps a computing scenario and the built-in client, briefly", () => {
  const o = options(["--quick"]);
  assertEquals(o.scenarios.map((s) => [s.id, s.rounds, s.strategies.join("")]), [
    ["n32-modelled", 3, "abcdefh"],
    ["n32-modelled-cpu", 1, "abdfgh"],
    ["n32-fail", 1, "bcdef"],
  ]);
});

Deno.test("parseBenchArgs() --nodes, --rounds and --strategies make a custom run without docs", () => {
  const o = options(["--nodes", "10,20", "--rounds", "2", "--strategies", "a,d"]);
  assertEquals(o.preset, "custom");
  assertEquals(o.writeDocs, false);
  assertEquals(o.scenarios.map((s) => s.id), [
    "n10-modelled",
    "n20-modelled",
    "n10-modelled-cpu",
    "n20-modelled-cpu",
    "n10-none",
    "n20-none",
    "n10-fail",
    "n20-fail",
  ]);
  assert(o.scenarios.every((s) => s.rounds === 2 && s.strategies.join() === "a,d"));
  assertEquals(o.scenarios[1]!.shape.layers, 5);
});

Deno.test("parseBenchArgs() rejects bad values and unknown flags", () => {
  for (
    const [argv, part] of [
      [["--nodes", "0"], "--nodes 0"],
      [["--rounds", "1.5"], "--rounds 1.5"],
      [["--strategies", "a,z"], '"z"'],
      [["--quick", "--full"], "--quick and --full"],
      [["--quick", "--docs"], "--docs without --render"],
    ] as const
  ) {
    assert(assertThrows(() => parseBenchArgs(argv), part) instanceof RangeError);
  }
  assertThrows(() => parseBenchArgs(["--cache", "file"]), "--cache");
});

Deno.test("parseBenchArgs() --help asks for help, and the help names every flag", () => {
  assertEquals(parseBenchArgs(["--help"]).help, true);
  for (
    const flag of [
      "--quick",
      "--full",
      "--nodes",
      "--rounds",
      "--strategies",
      "--json",
      "--render",
      "--docs",
    ]
  ) {
    assertIncludes(HELP, flag);
  }
});

Deno.test("parseBenchArgs() --render re-renders without touching the docs unless --docs", () => {
  const o = options(["--render", "/tmp/results.json"]);
  assertEquals(o.renderFrom, "/tmp/results.json");
  assertEquals(o.writeDocs, false);
  assertEquals(options(["--render", "/tmp/results.json", "--docs"]).writeDocs, true);
});
