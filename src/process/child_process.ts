/**
 * The wrapped build of `attic-ci exec`: a child with our stdio, which gets the
 * signals we get (so Ctrl-C or a GitLab cancel reaches the build), and whose
 * status we return.
 *
 * @module
 */

import { signalNumber } from "./command_runner.ts";

const FORWARDED: readonly Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"];

/**
 * Runs `argv` with inherited stdio, forwarding SIGINT/SIGTERM/SIGHUP/SIGQUIT,
 * and resolves to its exit status (128+N when killed by signal N).
 * Rejects when the program cannot be started.
 */
export async function runForwardingSignals(
  argv: readonly string[],
  options: { cwd?: string; env?: Readonly<Record<string, string>> } = {},
): Promise<number> {
  const [program, ...args] = argv;
  const child = new Deno.Command(program!, {
    args,
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.env ? { env: { ...options.env } } : {}),
  }).spawn();
  const forwarders = FORWARDED.map((signal) => {
    const handler = () => {
      try {
        child.kill(signal);
      } catch { /* already gone */ }
    };
    try {
      Deno.addSignalListener(signal, handler);
    } catch { /* not supported on this platform */ }
    return { signal, handler };
  });
  try {
    const status = await child.status;
    return status.signal ? 128 + signalNumber(status.signal) : status.code;
  } finally {
    for (const { signal, handler } of forwarders) {
      try {
        Deno.removeSignalListener(signal, handler);
      } catch { /* not supported */ }
    }
  }
}
