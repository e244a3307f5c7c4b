import { assert, assertIncludes } from "../helpers/assert.ts";
import { NO_NETWORK } from "../../bench/network.ts";
import { headline } from "../../bench/results.ts";
import { results } from "./testdata.ts";

Deno.test("headline() compares the defaults' time to cached with the baselines and the CLI", () => {
  const text = headline(results());
  assert(
    text.startsWith(
      "On a 10-derivation build with a modelled network, attic-ci with its defaults had " +
        "everything cached 1.06×",
    ),
    text,
  );
  assertIncludes(text, "1.80× with a push at the end");
  assertIncludes(text, "1.10× through the attic CLI");
  assertIncludes(text, "slowing the build itself by 2.0 %");
});

Deno.test("headline() says what computing builders cost, with the defaults, the CLI and a push at the end", () => {
  const text = headline(results(undefined, { computing: true }));
  // The sleeping scenario still leads; the computing one follows.
  assert(text.startsWith("On a 10-derivation build with a modelled network"), text);
  assertIncludes(
    text,
    "when the 10 derivations computed instead of sleeping, the build took +8.0 % with the defaults " +
      "(everything cached at 1.11×), +15.0 % through the attic CLI (everything cached at 1.20×)",
  );
});

Deno.test("headline() says when there was no network model", () => {
  assertIncludes(headline(results(NO_NETWORK)), "build without a network model");
});

Deno.test("headline() adds what a failed build left cached", () => {
  assertIncludes(
    headline(results(undefined, { failing: true })),
    "when the build failed halfway it had cached 100 % of the finished derivations " +
      "(push at the end: 0 %).",
  );
});
