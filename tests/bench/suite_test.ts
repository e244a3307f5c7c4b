import { assertEquals } from "../helpers/assert.ts";
import { rotate } from "../../bench/suite.ts";

Deno.test("rotate() starts each round with the next strategy, so every one runs in every position", () => {
  const rounds = [0, 1, 2, 3, 4].map((round) => rotate(["a", "b", "c", "d", "e"], round));
  assertEquals(rounds[1], ["b", "c", "d", "e", "a"]);
  for (const id of ["a", "b", "c", "d", "e"]) {
    assertEquals(rounds.map((order) => order.indexOf(id)).sort(), [0, 1, 2, 3, 4]);
  }
  assertEquals(rotate(["a", "b"], 5), ["b", "a"]);
  assertEquals(rotate([], 3), []);
});
