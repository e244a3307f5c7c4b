/**
 * The built-in Attic client: the three push endpoints over HTTP, as
 * `../shared/notes/attic-api.md` describes them — cache-config (whose
 * `api_endpoint` becomes the base URL unless the configured one is kept),
 * get-missing-paths, and upload-path with the NAR written in-process when it
 * is small (checked against the store's hash) or streamed from
 * `nix-store --dump` (memory stays bounded whatever its size).
 *
 * Robustness the real client lacks: each request has a stall timeout (no
 * byte sent or received for so long, not a total time, so a slow big upload
 * lives and a stuck one dies), and connection errors, stalls, 5xx and 429 are
 * retried with capped exponential backoff and jitter, honouring
 * `Retry-After`. 400/401/403/404/413 are not retried: they say what to fix.
 * The token travels only in the `Authorization` header.
 *
 * @module
 */

import type { Clock } from "../system/clock.ts";
import { delay } from "../system/clock.ts";
import type { CommandStreamer, HttpClient } from "../system/system.ts";
import { stderrTail } from "../errors.ts";
import { IN_PROCESS_NAR_LIMIT, smallNar } from "../store/nar_serializer.ts";
import { normalizeEndpoint } from "./attic_config.ts";
import { atticHeaders, cacheConfigUrl } from "./cache_config_request.ts";
import {
  AtticApiError,
  type AtticRequest,
  httpFailure,
  type RequestContext,
  retryAfterMs,
} from "./api_error.ts";
import { placeUploadInfo, type UploadInfo } from "./upload_info.ts";

/** What cache-config says: what a push needs, and where and how Nix substitutes from the cache. */
export interface CacheConfig {
  /** The base URL of every later request. */
  readonly apiEndpoint: string;
  /** Paths signed by these keys come from upstream: not pushed. */
  readonly upstreamKeyNames: readonly string[];
  /** The binary cache Nix substitutes from (`substituter_endpoint`), or null if none was given. */
  readonly substituterEndpoint: string | null;
  /** The key the cache signs with, `<name>:<base64>` (`public_key`), or null if none was given. */
  readonly publicKey: string | null;
  /** Anyone may read the cache, without a token (`is_public`). */
  readonly isPublic: boolean;
}

/** Options of {@linkcode AtticApi.cacheConfig}. */
export interface CacheConfigOptions {
  readonly signal?: AbortSignal;
  /**
   * Retries of this request, where fewer than the client's are wanted (the
   * pull side asks before the build starts, so a cache that is down must not
   * hold the build up). @default the client's `retries`
   */
  readonly retries?: number;
}

/** Options of {@linkcode AtticApi}. */
export interface AtticApiOptions {
  /** The configured server URL. */
  readonly server: string;
  readonly cache: string;
  /** The token, or null to ask as anyone may (a public cache's cache-config and binary cache). */
  readonly token: string | null;
  /** Where the token came from, for messages (e.g. `ATTIC_TOKEN`). */
  readonly tokenSource: string;
  /** Keep `server` as the base URL even when cache-config advertises another. @default false */
  readonly keepEndpoint?: boolean;
  /** A request with no progress for this long is abandoned (and retried). @default 60000 */
  readonly stallTimeoutMs?: number;
  /** Retries of one request. @default 3 */
  readonly retries?: number;
  /** First backoff; doubled per retry. @default 1000 */
  readonly retryDelayMs?: number;
  /** Cap of one wait, backoff or `Retry-After`. @default 30000 */
  readonly maxRetryDelayMs?: number;
  /** Jitter source in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** Called before retry `attempt` of `retries`, for the log (never carries the token). */
  readonly onRetry?: (
    request: AtticRequest,
    attempt: number,
    error: AtticApiError,
    retries: number,
  ) => void;
  readonly clock: Clock;
}

/** What one upload did. */
export type UploadOutcome = "Uploaded" | "Deduplicated";

/** A request attempt: the abort signal to pass on, and a way to say "still moving". */
interface Attempt {
  readonly signal: AbortSignal;
  readonly progress: () => void;
}

/** The dump of a NAR failed: retrying the upload cannot help (the path is gone or broken). */
class NarDumpError extends Error {}

/** The Attic push API for one cache. */
export class AtticApi {
  readonly #http: HttpClient;
  readonly #streamer: CommandStreamer;
  readonly #options: AtticApiOptions;
  #config: Promise<CacheConfig> | null = null;
  /** The server failed a request through all its retries: until when to fail at once, and how. */
  #unavailable: { until: number; error: AtticApiError } | null = null;
  /** Retries made (every request, every reason), for the report. */
  retries = 0;

  /**
   * Forgets that the server looked unavailable, so the next request goes out
   * at once. The final push calls it: it is the last chance to push, and a
   * short build would otherwise end inside the pause a failure earlier began.
   */
  forgetUnavailable(): void {
    this.#unavailable = null;
  }

  /** @param http how to send requests; @param streamer how to run `nix-store --dump`; @param options server, cache, token, policy */
  constructor(http: HttpClient, streamer: CommandStreamer, options: AtticApiOptions) {
    this.#http = http;
    this.#streamer = streamer;
    this.#options = options;
  }

  /**
   * The cache's configuration, asked once per client: concurrent pushes share
   * one request; a failure that a retry cannot cure is kept, others are not.
   */
  cacheConfig(options: CacheConfigOptions = {}): Promise<CacheConfig> {
    if (this.#config === null) {
      this.#config = this.#fetchCacheConfig(options);
      this.#config.catch((error) => {
        if (!(error instanceof AtticApiError && error.refusesAll)) this.#config = null;
      });
    }
    return this.#config;
  }

  async #fetchCacheConfig(options: CacheConfigOptions): Promise<CacheConfig> {
    const o = this.#options;
    const base = normalizeEndpoint(o.server);
    const json = await this.#request(
      "cache-config",
      options.retries === undefined ? {} : { retries: options.retries },
      options.signal,
      async (attempt) =>
        await this.#http.fetch(
          cacheConfigUrl(o.server, o.cache),
          {
            headers: this.#headers(),
            signal: attempt.signal,
          },
        ),
    ) as {
      api_endpoint?: unknown;
      upstream_cache_key_names?: unknown;
      substituter_endpoint?: unknown;
      public_key?: unknown;
      is_public?: unknown;
    };
    const advertised = typeof json.api_endpoint === "string" &&
        /^https?:\/\/\S+$/.test(json.api_endpoint)
      ? normalizeEndpoint(json.api_endpoint)
      : null;
    const upstream = Array.isArray(json.upstream_cache_key_names)
      ? json.upstream_cache_key_names.filter((k): k is string => typeof k === "string")
      : [];
    return {
      apiEndpoint: o.keepEndpoint || advertised === null ? base : advertised,
      upstreamKeyNames: upstream,
      substituterEndpoint: typeof json.substituter_endpoint === "string" &&
          /^https?:\/\/\S+$/.test(json.substituter_endpoint)
        ? json.substituter_endpoint.replace(/\/+$/, "")
        : null,
      publicKey: typeof json.public_key === "string" && /^[^:\s]+:\S+$/.test(json.public_key)
        ? json.public_key
        : null,
      isPublic: json.is_public === true,
    };
  }

  /** The hashes among `hashes` the cache does not have. */
  async missingPaths(hashes: readonly string[], signal?: AbortSignal): Promise<Set<string>> {
    if (hashes.length === 0) return new Set();
    const { apiEndpoint } = await this.cacheConfig(signal ? { signal } : {});
    const body = JSON.stringify({ cache: this.#options.cache, store_path_hashes: hashes });
    const json = await this.#request(
      "get-missing-paths",
      {},
      signal,
      async (attempt) =>
        await this.#http.fetch(new URL("_api/v1/get-missing-paths", apiEndpoint), {
          method: "POST",
          headers: { ...this.#headers(), "content-type": "application/json" },
          body,
          signal: attempt.signal,
        }),
    ) as { missing_paths?: unknown };
    if (!Array.isArray(json.missing_paths)) {
      throw new AtticApiError(
        "get-missing-paths answered without missing_paths: is --server an attic server?",
        200,
        { retryable: false },
      );
    }
    return new Set(json.missing_paths.filter((h): h is string => typeof h === "string"));
  }

  /**
   * Uploads one path: its info in the header or a preamble, then its NAR from
   * `nix-store --dump`, streamed (a fresh dump for every attempt).
   */
  async uploadPath(info: UploadInfo, signal?: AbortSignal): Promise<UploadOutcome> {
    const { apiEndpoint } = await this.cacheConfig(signal ? { signal } : {});
    const { headers, preamble } = placeUploadInfo(info);
    const upload = { path: info.store_path, narSize: info.nar_size };
    // Most paths of a build are small: their NAR is written here (and checked against the
    // store's hash) instead of by a nix-store process each.
    const nar = info.nar_size <= IN_PROCESS_NAR_LIMIT
      ? smallNar(info.store_path, info.nar_hash)
      : null;
    const json = await this.#request("upload-path", { upload }, signal, async (attempt) => {
      const send = (body: ReadableStream<Uint8Array>) =>
        this.#http.fetch(new URL("_api/v1/upload-path", apiEndpoint), {
          method: "PUT",
          headers: { ...this.#headers(), ...headers },
          body,
          signal: attempt.signal,
        });
      if (nar !== null) return await send(bytesBody([preamble, nar], attempt.progress));
      const dump = this.#streamer.stream("nix-store", {
        args: ["--dump", info.store_path],
        signal: attempt.signal,
      });
      try {
        return await send(narBody(preamble, dump.stdout, dump.result, attempt.progress));
      } finally {
        dump.stop();
        await dump.result;
      }
    }) as { kind?: unknown };
    return json.kind === "Deduplicated" ? "Deduplicated" : "Uploaded";
  }

  #headers(): Record<string, string> {
    return atticHeaders(this.#options.token);
  }

  /**
   * One request with the stall timeout and the retry policy; resolves to the
   * answer's JSON.
   */
  async #request(
    request: AtticRequest,
    extra: Pick<RequestContext, "upload"> & { readonly retries?: number },
    signal: AbortSignal | undefined,
    send: (attempt: Attempt) => Promise<Response>,
  ): Promise<unknown> {
    const o = this.#options;
    const { retries: retriesHere, ...rest } = extra;
    const context: RequestContext = {
      request,
      cache: o.cache,
      server: o.server,
      tokenSource: o.tokenSource,
      hasToken: o.token !== null,
      ...rest,
    };
    const retries = retriesHere ?? o.retries ?? 3;
    const down = this.#unavailable;
    if (down !== null && o.clock.now() < down.until) {
      throw new AtticApiError(
        `${request}: not sent, as the server failed a request through every retry ` +
          `(${down.error.message}); asked again in ${
            Math.ceil((down.until - o.clock.now()) / 1000)
          } s`,
        down.error.status,
        { retryable: true },
      );
    }
    for (let attempt = 0;; attempt++) {
      let error: AtticApiError;
      try {
        const answer = await this.#attempt(context, signal, send);
        this.#unavailable = null;
        return answer;
      } catch (thrown) {
        if (signal?.aborted) throw signal.reason;
        if (!(thrown instanceof AtticApiError)) throw thrown;
        error = thrown;
      }
      if (error.retryable && attempt >= retries) {
        // Unavailable through every retry: later requests fail at once for a while instead of
        // each waiting out its own retries (the final push asks again: forgetUnavailable).
        this.#unavailable = { until: o.clock.now() + (o.maxRetryDelayMs ?? 30_000), error };
      }
      if (!error.retryable || attempt >= retries) throw error;
      this.retries++;
      o.onRetry?.(request, attempt + 1, error, retries);
      await delay(this.#wait(attempt, error), signal, o.clock);
    }
  }

  /** How long to wait before retry `attempt + 1`: `Retry-After`, else backoff with jitter. */
  #wait(attempt: number, error: AtticApiError): number {
    const o = this.#options;
    const cap = o.maxRetryDelayMs ?? 30_000;
    if (error.retryAfterMs !== null) return Math.min(error.retryAfterMs, cap);
    const backoff = Math.min((o.retryDelayMs ?? 1_000) * 2 ** attempt, cap);
    // Equal jitter: at least half the backoff, so retries of many uploads spread out.
    return backoff / 2 + (o.random ?? Math.random)() * (backoff / 2);
  }

  /** One attempt under a stall watchdog. */
  async #attempt(
    context: RequestContext,
    signal: AbortSignal | undefined,
    send: (attempt: Attempt) => Promise<Response>,
  ): Promise<unknown> {
    const o = this.#options;
    const stallMs = o.stallTimeoutMs ?? 60_000;
    const stalled = new AbortController();
    // Progress comes with every chunk: it only notes the time, and the one timer, when it
    // fires, sleeps again for what is left of the window since the last progress.
    let lastProgress = o.clock.now();
    const watch = (ms: number) =>
      o.clock.setTimeout(() => {
        const idle = o.clock.now() - lastProgress;
        if (idle >= stallMs) stalled.abort();
        else timer = watch(stallMs - idle);
      }, ms);
    let timer = watch(stallMs);
    const progress = () => {
      lastProgress = o.clock.now();
    };
    const attemptSignal = signal ? AbortSignal.any([signal, stalled.signal]) : stalled.signal;
    try {
      const response = await send({ signal: attemptSignal, progress });
      progress();
      const text = await response.text();
      if (!response.ok) {
        throw httpFailure(
          response.status,
          text,
          context,
          retryAfterMs(response.headers.get("retry-after"), o.clock.now()),
        );
      }
      try {
        return JSON.parse(text);
      } catch {
        throw new AtticApiError(
          `${context.request} answered ${response.status} with something that is not JSON: ` +
            `is ${o.server} an attic server?`,
          response.status,
          { retryable: false },
        );
      }
    } catch (error) {
      if (error instanceof AtticApiError) throw error;
      if (signal?.aborted) throw signal.reason;
      if (stalled.signal.aborted) {
        throw new AtticApiError(
          `${context.request}: no progress for ${stallMs / 1000} s (a stalled connection); ` +
            `abandoned`,
          null,
          { retryable: true },
        );
      }
      const dumpFailure = findCause(error, NarDumpError);
      if (dumpFailure) {
        throw new AtticApiError(`${context.request}: ${dumpFailure.message}`, null, {
          retryable: false,
        });
      }
      throw new AtticApiError(
        `${context.request}: cannot reach ${o.server}: ${oneLine(error)}`,
        null,
        { retryable: true },
      );
    } finally {
      o.clock.clearTimeout(timer);
    }
  }
}

/**
 * The request body: the preamble (if any), then the NAR as `nix-store --dump`
 * writes it. Pulled chunk by chunk as the connection takes them (memory stays
 * bounded), each pull counted as progress; a dump that fails errors the body.
 */
function narBody(
  preamble: Uint8Array | null,
  nar: ReadableStream<Uint8Array>,
  dumped: Promise<{ code: number; timedOut: boolean; stderr: string }>,
  progress: () => void,
): ReadableStream<Uint8Array> {
  const reader = nar.getReader();
  let first = preamble;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      progress();
      if (first !== null) {
        controller.enqueue(first);
        first = null;
        return;
      }
      const { value, done } = await reader.read();
      if (!done) return controller.enqueue(value);
      const result = await dumped;
      if (result.code === 0) return controller.close();
      controller.error(
        new NarDumpError(
          `nix-store --dump exited with ${result.code}: ${stderrTail(result.stderr)}`,
        ),
      );
    },
    async cancel(reason) {
      await reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

/** Chunk size of a body sent from memory (progress is counted per chunk). */
const BODY_CHUNK = 64 * 1024;

/** A body from bytes in memory, pulled chunk by chunk, each pull counted as progress. */
function bytesBody(parts: (Uint8Array | null)[], progress: () => void): ReadableStream<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for (const part of parts) {
    for (let at = 0; part !== null && at < part.length; at += BODY_CHUNK) {
      chunks.push(part.slice(at, at + BODY_CHUNK)); // a copy: fetch may take the buffer
    }
  }
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      progress();
      const chunk = chunks.shift();
      if (chunk === undefined) controller.close();
      else controller.enqueue(chunk);
    },
  }, { highWaterMark: 0 });
}

/** The first error of type `type` in `error`'s cause chain. */
function findCause<T extends Error>(
  error: unknown,
  type: new (...args: never[]) => T,
): T | null {
  for (let e = error; e instanceof Error; e = e.cause) {
    if (e instanceof type) return e;
  }
  return null;
}

/** An error's message on one line. */
function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s+/g, " ").slice(0, 300);
}
