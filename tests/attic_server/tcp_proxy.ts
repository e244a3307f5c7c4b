/**
 * A TCP proxy in front of a local server, for what `Deno.serve` cannot do from
 * a handler: cut one client's connection abruptly mid-request, and learn that
 * a client has gone while its handler is not reading its body.
 *
 * Every accepted connection gets its own connection to the target; bytes are
 * copied both ways as they come. The target sees the proxy's socket, so a
 * handler finds its client's connection by its remote port
 * ({@linkcode TcpProxy.upstream}). There is no half-close (HTTP clients do not
 * half-close): a client's end of stream closes both sockets, while the
 * target's is passed on and the client's side kept open until the client
 * closes it, so an early answer (a 413 mid-body) still reaches the client.
 *
 * @example
 * ```ts
 * const proxy = startTcpProxy({ hostname: "127.0.0.1", port: server.addr.port });
 * // in the server's handler: proxy.upstream(info.remoteAddr.port)?.cut();
 * await proxy.close();
 * ```
 *
 * @module
 */

/** One client's connection through the proxy. */
export interface ProxiedConnection {
  /** Aborted once the connection is closed: by the client, the target, a cut or the proxy's close. */
  readonly closed: AbortSignal;
  /** Closes both sockets at once, whatever is in flight: the client sees the connection drop. */
  cut(): void;
}

/** A running proxy. */
export interface TcpProxy {
  /** The port it listens on, on 127.0.0.1. */
  readonly port: number;
  /**
   * The connection whose socket to the target has local port `port` (what a
   * `Deno.serve` handler sees as `info.remoteAddr.port`), while it is open.
   */
  upstream(port: number): ProxiedConnection | undefined;
  /** Closes the listener and every connection, and waits until all of them are let go. */
  close(): Promise<void>;
}

/** The proxy reads and writes at most this much at once. */
const CHUNK = 64 * 1024;

/** Starts a proxy to `target` on a free port of 127.0.0.1. */
export function startTcpProxy(target: { hostname: string; port: number }): TcpProxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0, transport: "tcp" });
  const connections = new Map<number, ProxiedConnection>();
  const tasks = new Set<Promise<void>>();
  let closing = false;

  async function proxy(client: Deno.TcpConn): Promise<void> {
    let upstream: Deno.TcpConn;
    try {
      upstream = await Deno.connect({ ...target, transport: "tcp" });
    } catch {
      client.close();
      return;
    }
    const port = upstream.localAddr.port;
    const closed = new AbortController();
    const shut = () => {
      if (closed.signal.aborted) return;
      connections.delete(port);
      closed.abort();
      for (const conn of [client, upstream]) {
        try {
          conn.close();
        } catch { /* already closed */ }
      }
    };
    connections.set(port, { closed: closed.signal, cut: shut });
    if (closing) shut();
    await Promise.all([toTarget(client, upstream, shut), toClient(upstream, client, shut)]);
  }

  const accepting = (async () => {
    for (;;) {
      let client: Deno.TcpConn;
      try {
        client = await listener.accept();
      } catch {
        return; // the listener is closed
      }
      const task = proxy(client).finally(() => tasks.delete(task));
      tasks.add(task);
    }
  })();

  return {
    port: listener.addr.port,
    upstream: (port) => connections.get(port),
    async close() {
      closing = true;
      try {
        listener.close();
      } catch { /* already closed */ }
      for (const connection of [...connections.values()]) connection.cut();
      await accepting;
      await Promise.all([...tasks]);
    },
  };
}

/** Client to target. The client's end (or an error) closes both; a target that stopped reading is skipped. */
async function toTarget(from: Deno.Conn, to: Deno.Conn, shut: () => void): Promise<void> {
  const buffer = new Uint8Array(CHUNK);
  let forwarding = true;
  try {
    for (;;) {
      const n = await from.read(buffer);
      if (n === null) break;
      if (!forwarding) continue; // the target has closed: drain the client until it closes too
      try {
        await writeAll(to, buffer.subarray(0, n));
      } catch {
        forwarding = false;
      }
    }
  } catch { /* reset, or closed by shut() */ }
  shut();
}

/** Target to client. The target's end is passed on as the client's end of stream; an error closes both. */
async function toClient(from: Deno.Conn, to: Deno.Conn, shut: () => void): Promise<void> {
  const buffer = new Uint8Array(CHUNK);
  try {
    for (;;) {
      const n = await from.read(buffer);
      if (n === null) break;
      await writeAll(to, buffer.subarray(0, n));
    }
    await to.closeWrite();
  } catch {
    shut();
  }
}

async function writeAll(to: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await to.write(bytes.subarray(at));
}
