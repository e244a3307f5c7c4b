/** The TCP proxy in front of the Attic test server: bytes both ways, a cut, a clean close. */

import { type ProxiedConnection, startTcpProxy } from "./tcp_proxy.ts";
import { assert, assertEquals } from "../helpers/assert.ts";

/** An echo server: what each connection sends comes back; `accepted` gets the connections. */
function echoServer() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted: Deno.TcpConn[] = [];
  const tasks: Promise<void>[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      accepted.push(conn);
      tasks.push(conn.readable.pipeTo(conn.writable).catch(() => {}));
    }
  })();
  return {
    port: listener.addr.port,
    accepted,
    async close() {
      listener.close();
      await accepting;
      await Promise.all(tasks);
    },
  };
}

async function readSome(conn: Deno.Conn): Promise<string | null> {
  const buffer = new Uint8Array(1024);
  const n = await conn.read(buffer).catch(() => null);
  return n === null ? null : new TextDecoder().decode(buffer.subarray(0, n));
}

Deno.test("startTcpProxy() copies bytes both ways and finds a connection by the port the target sees", async () => {
  const echo = echoServer();
  const proxy = startTcpProxy({ hostname: "127.0.0.1", port: echo.port });
  const client = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
  await client.write(new TextEncoder().encode("ping"));
  assertEquals(await readSome(client), "ping");
  const seen = echo.accepted[0]!.remoteAddr as Deno.NetAddr;
  const connection = proxy.upstream(seen.port);
  assert(connection !== undefined && !connection.closed.aborted);
  client.close();
  while (!connection.closed.aborted) await new Promise((resolve) => setTimeout(resolve, 5));
  assertEquals(proxy.upstream(seen.port), undefined, "a closed connection is forgotten");
  await proxy.close();
  await echo.close();
});

Deno.test("startTcpProxy(): cut() ends one client's connection at once, close() all the others", async () => {
  const echo = echoServer();
  const proxy = startTcpProxy({ hostname: "127.0.0.1", port: echo.port });
  const encoder = new TextEncoder();
  const clients: Deno.TcpConn[] = [];
  for (const text of ["a", "b"]) { // one after the other, so echo.accepted is in the same order
    const client = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
    await client.write(encoder.encode(text));
    assertEquals(await readSome(client), text);
    clients.push(client);
  }
  const [first, second] = clients as [Deno.TcpConn, Deno.TcpConn];
  const [one, two] = echo.accepted.map((conn) =>
    proxy.upstream((conn.remoteAddr as Deno.NetAddr).port)!
  ) as [ProxiedConnection, ProxiedConnection];
  one.cut();
  assert(one.closed.aborted && !two.closed.aborted);
  assertEquals(await readSome(first), null, "the cut connection ends");
  await second.write(encoder.encode("c"));
  assertEquals(await readSome(second), "c", "the other one still works");
  await proxy.close();
  assert(two.closed.aborted);
  assertEquals(await readSome(second), null);
  first.close();
  second.close();
  await echo.close();
});
