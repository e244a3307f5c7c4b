/**
 * The modelled network between the CI machine and the cache, the same link
 * for both stand-ins. The attic CLI test double sleeps for it: a fixed latency
 * per `attic push` invocation (one session: connection, auth, cache-config and
 * get-missing-paths round trips) plus the NAR bytes it uploads divided by the
 * bandwidth, path after path. The Attic test server, which the built-in
 * client talks to, gets the same two numbers: the latency before every API
 * request it answers (so one push call of the built-in client pays it for its
 * get-missing-paths and again for every upload, `--attic-jobs` at a time), and
 * the bandwidth as one link that all upload bodies share.
 *
 * @module
 */

/** A modelled network, or none (`latencyMs: 0`, `bandwidthBps: null`). */
export interface NetworkModel {
  /** Short name used in tables: "modelled" or "none". */
  readonly name: string;
  /** Fixed cost of one push invocation, in milliseconds. */
  readonly latencyMs: number;
  /** Upload bandwidth in NAR bytes per second; `null` means unlimited. */
  readonly bandwidthBps: number | null;
}

/**
 * The default model: 100 ms per push invocation and 4 MiB/s (≈ 34 Mbit/s)
 * of upload, roughly a shared CI runner talking to a cache in another
 * region. With the default graph (64 KiB per output, 200 ms per build on
 * 2 cores) the transfer alone is a sixth of the build; with the stand-in's
 * local work per uploaded path it is about as long as the build.
 */
export const MODELLED_NETWORK: NetworkModel = {
  name: "modelled",
  latencyMs: 100,
  bandwidthBps: 4 * 1024 * 1024,
};

/** No network cost at all: only the local work of pushing. */
export const NO_NETWORK: NetworkModel = { name: "none", latencyMs: 0, bandwidthBps: null };

/** The attic double's environment for a model. */
export function networkEnv(model: NetworkModel): Record<string, string> {
  const env: Record<string, string> = { ATTIC_DOUBLE_LATENCY_MS: String(model.latencyMs) };
  if (model.bandwidthBps !== null) env.ATTIC_DOUBLE_BANDWIDTH_BPS = String(model.bandwidthBps);
  return env;
}

/** A one-line description, e.g. "150 ms per push + 4.0 MiB/s". */
export function describeNetwork(model: NetworkModel): string {
  if (model.latencyMs === 0 && model.bandwidthBps === null) return "no network model";
  const bandwidth = model.bandwidthBps === null
    ? "unlimited bandwidth"
    : `${(model.bandwidthBps / 1024 / 1024).toFixed(1)} MiB/s`;
  return `${model.latencyMs} ms per push + ${bandwidth}`;
}

/** The Attic test server's `network` option for a model: the same latency and bandwidth. */
export function serverNetwork(model: NetworkModel): {
  latencyMs: number;
  bandwidthBps: number | null;
} {
  return { latencyMs: model.latencyMs, bandwidthBps: model.bandwidthBps };
}
