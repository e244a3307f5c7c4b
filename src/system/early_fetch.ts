/**
 * One HTTP request sent before the program has finished loading, and a
 * `fetch` that answers the same request, once, with that request's response.
 *
 * Why: Nix cannot start before the cache's configuration has come back (the
 * closed loop needs its substituter and key), and loading the helper's code
 * takes ~50 ms. Sent from the first module, the round trip overlaps the
 * loading instead of following it. Whoever later sends the same request
 * (same method, URL and headers) gets the early response as if it had sent
 * it then; any other request goes out as usual. The early request is only an
 * earlier copy of a request the program makes anyway, so nothing depends on
 * it: if it failed, the twin is sent again; if nobody asks, it is abandoned.
 *
 * @module
 */

/** The `fetch` function's shape (the platform's, or a double). */
export type Fetch = (input: string | URL, init?: RequestInit) => Promise<Response>;

/** A GET request without a body: what can be sent before anything else is known. */
export interface EarlyRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** An early request in flight, and the `fetch` that hands its response to its twin. */
export class EarlyFetch {
  readonly #request: EarlyRequest;
  readonly #send: Fetch;
  readonly #controller = new AbortController();
  /** The early response, until a twin takes it or it is abandoned. */
  #pending: Promise<Response> | null;

  /** Sends `request` at once through `send`. */
  constructor(request: EarlyRequest, send: Fetch = fetch) {
    this.#request = request;
    this.#send = send;
    this.#pending = send(request.url, {
      headers: { ...request.headers },
      signal: this.#controller.signal,
    });
    // Whoever takes it sees its failure; untaken, a failure must not end the program.
    this.#pending.catch(() => {});
  }

  /**
   * Gives the event loop the turns the request needs to leave (a connection
   * opened, the request written) before the caller blocks the loop: loading
   * modules does, and a request not yet written waits for the whole load.
   * Timers, not other operations: only an idle turn lets the connection's
   * task run (measured: two turns, ~7 ms, and a local server had the request
   * at ~10 ms instead of ~55). A remote server's handshake needs its round
   * trips; what is left of it then goes on once the loading is done.
   */
  async departure(turns = 2): Promise<void> {
    for (let turn = 0; turn < turns; turn++) {
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }

  /** Whether the early response is still waiting for its twin. */
  get pending(): boolean {
    return this.#pending !== null;
  }

  /** `fetch`: the early request's twin gets the early response (once); any other request is sent. */
  readonly fetch: Fetch = (input, init) => {
    const early = this.#pending;
    if (early === null || !this.#isTwin(input, init)) return this.#send(input, init);
    this.#pending = null;
    return this.#answer(early, input, init);
  };

  /** Stops the early request if nobody took its response (the program is ending). */
  abandon(): void {
    if (this.#pending === null) return;
    this.#pending = null;
    this.#controller.abort();
  }

  async #answer(early: Promise<Response>, input: string | URL, init?: RequestInit) {
    const signal = init?.signal ?? null;
    // The twin's signal governs the early request as it would its own: a timeout or a
    // cancellation stops it, also while its body is read (so the listener stays).
    const stop = () => this.#controller.abort(signal?.reason);
    if (signal?.aborted) stop();
    else signal?.addEventListener("abort", stop, { once: true });
    try {
      return await early;
    } catch (error) {
      if (signal?.aborted) throw signal.reason ?? error;
      signal?.removeEventListener("abort", stop);
      // Failed before the twin asked (a refused connection, say): the twin is sent as if
      // the early request had never been.
      return await this.#send(input, init);
    }
  }

  #isTwin(input: string | URL, init?: RequestInit): boolean {
    if ((init?.method ?? "GET").toUpperCase() !== "GET" || init?.body != null) return false;
    if (String(input) !== this.#request.url) return false;
    return sameHeaders(new Headers(init?.headers), new Headers({ ...this.#request.headers }));
  }
}

function sameHeaders(a: Headers, b: Headers): boolean {
  const entries = (h: Headers) => JSON.stringify([...h.entries()]);
  return entries(a) === entries(b);
}
