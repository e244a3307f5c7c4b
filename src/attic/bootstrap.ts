/**
 * Bootstrap: get the attic client in seconds, never by compiling it.
 *
 * `nix build <installable> --max-jobs 0` may only substitute (download) or
 * reuse what is valid: on a cache miss it fails at once instead of starting a
 * 30–60 minute compile. Then, in order: that client; an `attic` on PATH;
 * otherwise *deferred* mode (record now, push at stop).
 *
 * @module
 */

import { stderrTail } from "../errors.ts";
import type { Clock } from "../system/clock.ts";
import type { CommandRunner } from "../system/system.ts";

/** The ways a session can get an attic client. */
export const BOOTSTRAP_MODES = ["installable", "path", "deferred", "built-in", "off"] as const;

/** One of {@linkcode BOOTSTRAP_MODES}. */
export type BootstrapMode = typeof BOOTSTRAP_MODES[number];

/** Which way the bootstrap went. */
export interface BootstrapResult {
  /**
   * `installable`: built/substituted; `path`: found on PATH; `deferred`: none
   * yet; `built-in`: the helper's own HTTP client pushes (no executable);
   * `off`: pushing is off (no token), nothing is pushed.
   */
  readonly mode: BootstrapMode;
  /** The attic executable, or null (deferred mode, or the built-in client). */
  readonly client: string | null;
  /** Why this way was taken, for the log. */
  readonly reason: string;
  /** Seconds the substitution-only build took. */
  readonly seconds: number;
}

/** Options of {@linkcode bootstrapAtticClient}. */
export interface BootstrapOptions {
  /** The flake installable of the client. @example ".#attic-client" */
  readonly installable: string;
  /** Where to put the out-link (a GC root keeping the client alive). */
  readonly outLink: string;
  /** Stop the build after this long. @default 180000 */
  readonly timeoutMs?: number;
  /** The search path for the fallback. */
  readonly path: string | undefined;
  /** Variables for the `nix build` (the pull side's `NIX_CONFIG`: the client may be in the cache). */
  readonly env?: Readonly<Record<string, string>>;
  /** How long the fetch took is measured on it. */
  readonly clock: Clock;
  readonly signal?: AbortSignal;
}

/** Runs the bootstrap; never throws for a missing client (that is deferred mode). */
export async function bootstrapAtticClient(
  runner: CommandRunner,
  options: BootstrapOptions,
): Promise<BootstrapResult> {
  const started = options.clock.now();
  const timeoutMs = options.timeoutMs ?? 180_000;
  const result = await runner.run("nix", {
    args: [
      "--extra-experimental-features",
      "nix-command flakes",
      "build",
      options.installable,
      "--max-jobs",
      "0",
      "--out-link",
      options.outLink,
    ],
    timeoutMs,
    ...(options.env ? { env: options.env } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const seconds = (options.clock.now() - started) / 1000;
  let why: string;
  if (result.code === 0) {
    const client = `${options.outLink}/bin/attic`;
    if (await isExecutable(client)) {
      // Nix says where each path it downloads comes from; none: it was valid already.
      const from = /^copying path '[^']+' from '([^']+)'/m.exec(result.stderr)?.[1];
      return {
        mode: "installable",
        client,
        seconds,
        reason: `${options.installable} was ${
          from === undefined ? "already valid" : `substituted from ${from}`
        } (${seconds.toFixed(1)} s)`,
      };
    }
    why = `${options.installable} has no bin/attic`;
  } else if (result.timedOut) {
    why = `nix build ${options.installable} --max-jobs 0 took longer than ${timeoutMs / 1000} s`;
  } else if (/unable to start any build/.test(result.stderr)) {
    why =
      `${options.installable} is in no cache and would need building, which --max-jobs 0 forbids`;
  } else {
    why = `nix build ${options.installable} --max-jobs 0 failed: ${stderrTail(result.stderr, 2)}`;
  }

  const onPath = await findOnPath("attic", options.path);
  if (onPath !== null) {
    return { mode: "path", client: onPath, seconds, reason: `${why}; using ${onPath} from PATH` };
  }
  return {
    mode: "deferred",
    client: null,
    seconds,
    reason: `${why}, and no attic is on PATH`,
  };
}

/** The first executable `name` in the `:`-separated search path, or null. */
export async function findOnPath(name: string, path: string | undefined): Promise<string | null> {
  for (const dir of (path ?? "").split(":")) {
    if (dir.length === 0) continue;
    const candidate = `${dir.replace(/\/+$/, "")}/${name}`;
    if (await isExecutable(candidate)) return candidate;
  }
  return null;
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    const info = await Deno.stat(file);
    return info.isFile && (info.mode === null || (info.mode & 0o111) !== 0);
  } catch {
    return false;
  }
}
