/**
 * The request the build waits for, worked out before the program has loaded.
 *
 * `exec`, `build` and `start` make the job's Nix pull from the cache, so Nix
 * starts only once the cache's configuration (its substituter and key) has
 * come back. `src/main.ts` sends that request first and loads the rest of
 * the program meanwhile (see `system/early_fetch.ts`). This module decides
 * the request from the command line with the same parser, specs and rules
 * the command itself uses, and asks for nothing whenever the command would
 * not ask (another command, `--help`, `--no-pull`, backend nix-copy) or the
 * input is not valid: the command then says what is wrong, as always, and no
 * token ever goes anywhere the command would not send it.
 *
 * @module
 */

import { atticHeaders, cacheConfigUrl } from "../attic/cache_config_request.ts";
import { readToken } from "../attic/token.ts";
import { commandLineOf } from "../options/command_specs.ts";
import { ATTIC_CACHE_NAME, HTTP_URL, VARIABLE_NAME } from "../options/option_specs.ts";
import { parseCommandArgs, splitAtDashes } from "../options/parse_args.ts";
import type { EarlyRequest } from "../system/early_fetch.ts";

/** The commands that set up the pull side before they start Nix. */
const PULLING = new Set(["exec", "build", "start"] as const);

/**
 * The cache-config request `argv` will make before it starts Nix, or null
 * when it makes none or its input is not valid. Never throws.
 */
export async function earlyCacheConfigRequest(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Promise<EarlyRequest | null> {
  const [name, ...rest] = argv;
  if (!PULLING.has(name as "exec")) return null;
  try {
    const { ours } = splitAtDashes(rest);
    const { specs } = commandLineOf(name as "exec" | "build" | "start");
    const args = await parseCommandArgs(ours, specs, env);
    const value = (flag: string) => args.values.get(flag)?.value;
    const server = value("server");
    const cache = value("cache");
    const tokenVariable = value("token-variable");
    if (
      value("help") !== undefined || value("version") !== undefined ||
      value("backend") !== "attic" || value("pull") !== true ||
      typeof server !== "string" || !HTTP_URL.test(server) ||
      typeof cache !== "string" || !ATTIC_CACHE_NAME.test(cache) ||
      typeof tokenVariable !== "string" || !VARIABLE_NAME.test(tokenVariable)
    ) {
      return null;
    }
    const token = await readToken(tokenVariable, env);
    return { url: cacheConfigUrl(server, cache).href, headers: atticHeaders(token) };
  } catch {
    // The command reads the same input again and says what is wrong with it.
    return null;
  }
}
