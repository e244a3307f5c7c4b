/**
 * What an Attic API answer means for the user: one line saying what is wrong
 * and what to do, and whether trying again can help. Messages name the token's
 * variable, never the token.
 *
 * @module
 */

/** The three push endpoints, as the log names them. */
export type AtticRequest = "cache-config" | "get-missing-paths" | "upload-path";

/** Where a request went, for the message. */
export interface RequestContext {
  readonly request: AtticRequest;
  readonly cache: string;
  /** The configured server URL. */
  readonly server: string;
  /** Where the token came from, e.g. `ATTIC_TOKEN`. */
  readonly tokenSource: string;
  /** Whether a token was sent at all (none: asking as anyone may, for a public cache). */
  readonly hasToken?: boolean;
  /** upload-path: the store path and its NAR size. */
  readonly upload?: { readonly path: string; readonly narSize: number };
}

/** A request to the Attic server that failed. */
export class AtticApiError extends Error {
  /** The HTTP status, or null for a connection error or a stall. */
  readonly status: number | null;
  /** Whether the same request may succeed later (5xx, 429, network). */
  readonly retryable: boolean;
  /**
   * Whether every request of this session will fail the same way (a token
   * the server refuses, a cache that does not exist): stop pushing at once.
   */
  readonly refusesAll: boolean;
  /** Seconds the server asked us to wait (`Retry-After`), if it did. */
  readonly retryAfterMs: number | null;

  /** @param message one line; @param status HTTP status; @param flags retry, refusal, wait */
  constructor(
    message: string,
    status: number | null,
    flags: { retryable: boolean; refusesAll?: boolean; retryAfterMs?: number | null },
  ) {
    super(message);
    this.name = "AtticApiError";
    this.status = status;
    this.retryable = flags.retryable;
    this.refusesAll = flags.refusesAll ?? false;
    this.retryAfterMs = flags.retryAfterMs ?? null;
  }
}

/** The longest server message quoted in ours. */
const QUOTED = 200;

/** Attic's JSON error `{code, error, message}`, or the plain text axum answers with. */
function serverSays(body: string): string {
  let text = body.trim();
  try {
    const json = JSON.parse(text) as { error?: unknown; message?: unknown };
    if (typeof json.message === "string") {
      text = typeof json.error === "string" ? `${json.error}: ${json.message}` : json.message;
    }
  } catch { /* plain text */ }
  text = text.replace(/\s+/g, " ");
  return text.length > QUOTED ? `${text.slice(0, QUOTED)}…` : text;
}

/** Mebibytes, for a message. */
function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * The error for an HTTP answer that was not a success. `retryAfterMs` is the
 * parsed `Retry-After`, if any.
 */
export function httpFailure(
  status: number,
  body: string,
  context: RequestContext,
  retryAfterMs: number | null = null,
): AtticApiError {
  const { request, cache, server, tokenSource } = context;
  const said = serverSays(body);
  const quoted = said.length > 0 ? `: ${said}` : "";
  if (status === 401 && context.hasToken === false) {
    return new AtticApiError(
      `cache ${cache} on ${server} is private (401 on ${request} without a token): reading it ` +
        `needs a token with the pull permission in ${tokenSource} ` +
        `(\`atticadm make-token --pull ${cache}\`), or make the cache public`,
      status,
      { retryable: false, refusesAll: true },
    );
  }
  if (status === 401) {
    return new AtticApiError(
      `the attic server ${server} did not accept the token in ${tokenSource} (401 on ${request}): ` +
        `it is invalid, expired or not yet valid (Attic treats those as no token), or cache ` +
        `${cache} does not exist and the token may not see it; make a token with ` +
        `\`atticadm make-token --pull ${cache} --push ${cache}\` and put it in ${tokenSource}`,
      status,
      { retryable: false, refusesAll: true },
    );
  }
  if (status === 403) {
    const needs = request === "cache-config"
      ? `read cache ${cache} (the pull permission, r), which pushing needs to read the cache's configuration`
      : `push to cache ${cache} (the push permission, w)`;
    return new AtticApiError(
      `the token in ${tokenSource} may not ${needs} (403 on ${request}); make a token with ` +
        `\`atticadm make-token --pull ${cache} --push ${cache}\``,
      status,
      { retryable: false, refusesAll: true },
    );
  }
  if (status === 404) {
    return new AtticApiError(
      `cache ${cache} does not exist on ${server} (404 on ${request}${quoted}); check --cache ` +
        `(component input cache) and --server, or create it with \`attic cache create ${cache}\``,
      status,
      { retryable: false, refusesAll: true },
    );
  }
  if (status === 413) {
    const what = context.upload
      ? `the upload of ${context.upload.path} (a ${mib(context.upload.narSize)} NAR)`
      : `the ${request} request`;
    return new AtticApiError(
      `${what} was refused as too large (413): a proxy in front of ${server} limits request ` +
        `bodies (Cloudflare 100 MB, Cloud Run 32 MB); raise its limit (nginx: client_max_body_size 0) ` +
        `or keep such paths out with --exclude`,
      status,
      { retryable: false },
    );
  }
  if (status === 429 || status >= 500) {
    const what = status === 429 ? "rate-limited" : "a server error";
    return new AtticApiError(
      `${request}: ${what} (${status}${quoted})`,
      status,
      { retryable: true, retryAfterMs },
    );
  }
  return new AtticApiError(
    `the attic server refused ${request} (${status}${quoted}); attic-ci sent what the Attic API ` +
      `documents, so this server differs: please report it with this line`,
    status,
    { retryable: false },
  );
}

/**
 * The wait a `Retry-After` header asks for (seconds or an HTTP date), in
 * milliseconds; null when absent or unreadable.
 */
export function retryAfterMs(header: string | null, now: number): number | null {
  if (header === null) return null;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
