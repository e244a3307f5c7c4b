import { assert, assertEquals } from "../helpers/assert.ts";
import {
  createDoubleTarget,
  pathWithoutAttic,
  startServerTarget,
} from "../../bench/cache_target.ts";
import { MODELLED_NETWORK, NO_NETWORK } from "../../bench/network.ts";
import { ROOT } from "../helpers/nix.ts";

const LAUNCH = {
  denoArgv: [Deno.execPath(), "run", "-A", "--quiet"],
  module: `${ROOT}/bench/attic_server_child.ts`,
};

Deno.test("pathWithoutAttic() drops the directories that hold an attic, and empty entries", async () => {
  const dir = await Deno.makeTempDir({ prefix: "attic-ci-bench-test-" });
  try {
    await Deno.mkdir(`${dir}/with`);
    await Deno.mkdir(`${dir}/without`);
    await Deno.writeTextFile(`${dir}/with/attic`, "#!/bin/sh\n", { mode: 0o755 });
    assertEquals(
      pathWithoutAttic(`${dir}/with::${dir}/without:/nonexistent`),
      `${dir}/without:/nonexistent`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("createDoubleTarget() puts the double on PATH and counts its invocations", async () => {
  const dir = await Deno.makeTempDir({ prefix: "attic-ci-bench-test-" });
  try {
    const target = await createDoubleTarget(
      dir,
      MODELLED_NETWORK,
      `${ROOT}/tests/attic_double/attic`,
    );
    assertEquals(target.kind, "attic-double");
    assert(target.env.PATH!.startsWith(`${ROOT}/tests/attic_double:`));
    assertEquals(target.env.ATTIC_DOUBLE_LATENCY_MS, "100");
    // The attic CLI's way (the double on PATH), and nothing to pull from: the double has no server.
    assertEquals(target.helperArgs.slice(target.helperArgs.indexOf("--attic-client"), -1), [
      "--attic-client",
      "cli",
    ]);
    assert(target.helperArgs.includes("--no-pull"));
    const contents = await target.finish();
    assertEquals(contents.invocations, 0);
    assertEquals(contents.server, null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startServerTarget() serves the built-in client's API with a token, then counts what came", async () => {
  const dir = await Deno.makeTempDir({ prefix: "attic-ci-bench-test-" });
  try {
    const target = await startServerTarget(dir, NO_NETWORK, LAUNCH);
    assertEquals(target.kind, "attic-server");
    assertEquals(target.pushShell, null);
    const args = target.helperArgs;
    // The helper's defaults: no --attic-client (auto), and no attic on PATH, so the built-in client.
    assertEquals(args.includes("--attic-client"), false);
    const url = args[args.indexOf("--server") + 1]!;
    const token = target.env[args[args.indexOf("--token-variable") + 1]!]!;
    assert(!target.env.PATH!.split(":").some((d) => d.includes("attic_double")));

    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const config = await fetch(new URL("_api/v1/cache-config/bench", url), { headers });
    assertEquals(config.status, 200);
    await config.body?.cancel();
    const missing = await fetch(new URL("_api/v1/get-missing-paths", url), {
      method: "POST",
      headers,
      body: JSON.stringify({ cache: "bench", store_path_hashes: ["0".repeat(32)] }),
    });
    assertEquals((await missing.json()).missing_paths, ["0".repeat(32)]);

    const contents = await target.finish();
    assertEquals(contents.invocations, null);
    assertEquals(contents.server?.requests, { cacheConfig: 1, missingPaths: 1, uploadPath: 0 });
    assertEquals(contents.server?.refused, 0);
    assertEquals(await contents.has(`/nix/store/${"0".repeat(32)}-x`), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
