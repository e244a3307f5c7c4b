/**
 * The attic-ci entry point: builds the real system (the only place that
 * reads `Deno.env`), runs the command line, and sets the exit code. Nothing
 * else in the program exits the process.
 *
 * Its own imports are few on purpose. `exec`, `build` and `start` cannot
 * start Nix before the cache's configuration has come back, so that request
 * goes out first and the rest of the program (~50 ms of loading) is loaded
 * while it is under way (`commands/early_request.ts`, `system/early_fetch.ts`).
 *
 * @module
 */

import { earlyCacheConfigRequest } from "./commands/early_request.ts";
import { EarlyFetch } from "./system/early_fetch.ts";

if (import.meta.main) {
  const env = Deno.env.toObject();
  const request = await earlyCacheConfigRequest(Deno.args, env);
  const early = request === null ? null : new EarlyFetch(request);
  await early?.departure();
  const [{ run }, { ciLogger }, { realSystem }] = await Promise.all([
    import("./dispatch.ts"),
    import("./log/logger.ts"),
    import("./system/real_system.ts"),
  ]);
  const system = realSystem(env, early === null ? {} : { fetch: early.fetch });
  const logger = ciLogger((text) => system.stderr(text), system.env, system.clock);
  try {
    Deno.exitCode = await run(Deno.args, { system, logger });
  } finally {
    early?.abandon();
  }
}
