/**
 * The request sent before the program loads is the one the command would
 * send itself, byte for byte, and only where the command would send it: the
 * commands that start Nix (exec, build, start) with backend attic and the
 * pull side on, a valid server, cache and token variable. Anything else —
 * another command, --help, --no-pull, nix-copy, bad input — sends nothing,
 * and the command says what is wrong as it always did.
 */

import { AtticApi } from "../../src/attic/attic_api.ts";
import { earlyCacheConfigRequest } from "../../src/commands/early_request.ts";
import { systemClock } from "../../src/system/clock.ts";
import { assert, assertEquals } from "../helpers/assert.ts";
import { testSystem } from "../helpers/context.ts";

const SERVER = "https://attic.example.com";
const ENV = {
  ATTIC_CI_SERVER: SERVER,
  ATTIC_CI_CACHE: "main",
  ATTIC_TOKEN: "t0ken",
};

Deno.test("exec, build and start ask for the cache's configuration with the token, as the built-in client does", async () => {
  for (const argv of [["exec", "--", "nix", "build"], ["build", ".#a", "--", "-L"], ["start"]]) {
    const request = await earlyCacheConfigRequest(argv, ENV);
    assertEquals(request?.url, `${SERVER}/_api/v1/cache-config/main`, argv.join(" "));
    assertEquals(request?.headers.authorization, "bearer t0ken");
    assert(request?.headers["user-agent"]?.startsWith("attic-ci/"), "who asks");
  }
});

Deno.test("flags beat variables, the token comes from the variable --token-variable names (or the file it names), and no token means an anonymous request", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const flags = await earlyCacheConfigRequest(
      ["exec", "--cache", "other", "--server", "http://10.0.0.1:8080/attic", "--", "true"],
      { ...ENV, MY_TOKEN: "mine", ATTIC_CI_TOKEN_VARIABLE: "MY_TOKEN" },
    );
    assertEquals(flags?.url, "http://10.0.0.1:8080/attic/_api/v1/cache-config/other");
    assertEquals(flags?.headers.authorization, "bearer mine");

    await Deno.writeTextFile(`${dir}/token`, "from-a-file\n");
    const file = await earlyCacheConfigRequest(["exec"], { ...ENV, ATTIC_TOKEN: `${dir}/token` });
    assertEquals(file?.headers.authorization, "bearer from-a-file");

    const anonymous = await earlyCacheConfigRequest(["exec"], { ...ENV, ATTIC_TOKEN: "" });
    assertEquals(anonymous?.url, `${SERVER}/_api/v1/cache-config/main`);
    assertEquals(anonymous?.headers.authorization, undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("nothing is sent where the command sends nothing or its input is not valid", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const none: [string, string[], Record<string, string>][] = [
      ["no command", [], ENV],
      ["another command", ["push"], ENV],
      ["stop", ["stop"], ENV],
      ["the version", ["--version"], ENV],
      ["the help", ["exec", "--help"], ENV],
      ["--no-pull", ["exec", "--no-pull", "--", "true"], ENV],
      ["ATTIC_CI_PULL=false", ["exec"], { ...ENV, ATTIC_CI_PULL: "false" }],
      ["backend nix-copy", ["exec", "--backend", "nix-copy", "--to", "file:///tmp/c"], ENV],
      ["no server", ["exec"], { ATTIC_CI_CACHE: "main", ATTIC_TOKEN: "t" }],
      ["no cache", ["exec"], { ATTIC_CI_SERVER: SERVER, ATTIC_TOKEN: "t" }],
      ["a server that is not http(s)", ["exec"], { ...ENV, ATTIC_CI_SERVER: "ftp://x" }],
      ["a cache name attic refuses", ["exec"], { ...ENV, ATTIC_CI_CACHE: "no/slash" }],
      ["a token variable that is no name", ["exec"], { ...ENV, ATTIC_CI_TOKEN_VARIABLE: "1x" }],
      ["an unknown flag", ["exec", "--frobnicate"], ENV],
      ["a bad boolean", ["exec"], { ...ENV, ATTIC_CI_PULL: "maybe" }],
      ["a token file that is missing", ["exec"], { ...ENV, ATTIC_TOKEN: `${dir}/missing` }],
    ];
    for (const [what, argv, env] of none) {
      assertEquals(await earlyCacheConfigRequest(argv, env), null, what);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the early request is the built-in client's cache-config request, byte for byte: the same URL and the same headers", async () => {
  const seen: { url: string; headers: [string, string][] }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    seen.push({ url: req.url, headers: [...req.headers].filter(([name]) => name !== "host") });
    return Response.json({ api_endpoint: "http://127.0.0.1:1/", substituter_endpoint: null });
  });
  try {
    const url = `http://127.0.0.1:${server.addr.port}/prefix`;
    const api = new AtticApi(testSystem(), testSystem(), {
      server: url,
      cache: "main",
      token: "t0ken",
      tokenSource: "ATTIC_TOKEN",
      retryDelayMs: 10,
      clock: systemClock,
    });
    await api.cacheConfig();
    const early = await earlyCacheConfigRequest(["exec"], { ...ENV, ATTIC_CI_SERVER: url });
    assert(early !== null, "an early request");
    // Sent as src/main.ts sends it: what reaches the server is what the client sent.
    await (await fetch(early.url, { headers: { ...early.headers } })).body?.cancel();
    assertEquals(seen.length, 2);
    assertEquals(seen[1], seen[0]);
    assert(seen[0]!.headers.some(([name]) => name === "authorization"), "with the token");
  } finally {
    await server.shutdown();
  }
});
