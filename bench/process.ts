/**
 * Starting the benchmark's child processes with their output kept in a log
 * file (for post-mortems), and their wall-clock start and end.
 *
 * @module
 */

/** What a finished child left behind. */
export interface Finished {
  /** Exit code (128+N for signal N). */
  readonly code: number;
  /** Epoch ms when the child was spawned. */
  readonly startedAt: number;
  /** Epoch ms when it exited. */
  readonly endedAt: number;
  /** Its stdout (also written to the log). */
  readonly stdout: string;
}

/** Options for {@linkcode runLogged}. */
export interface RunLoggedOptions {
  /** Variables for the child (added to the inherited environment). */
  readonly env?: Readonly<Record<string, string>>;
  /** Working directory. @default the current one */
  readonly cwd?: string;
  /** File that receives stdout and stderr; appended to. */
  readonly log: string;
  /** Kill the child (SIGKILL) after this many ms. @default no limit */
  readonly timeoutMs?: number;
}

/**
 * Run `argv` to completion, stdout and stderr appended to `options.log`.
 *
 * @example
 * ```ts
 * const done = await runLogged(["/bin/true"], { log: "/tmp/true.log" });
 * done.code; // 0
 * ```
 */
export async function runLogged(
  argv: readonly string[],
  options: RunLoggedOptions,
): Promise<Finished> {
  const [program, ...args] = argv;
  if (program === undefined) throw new RangeError("Cannot run a command as argv is empty");
  const log = await Deno.open(options.log, { write: true, create: true, append: true });
  const encoder = new TextEncoder();
  await log.write(encoder.encode(`$ ${argv.join(" ")}\n`));
  const startedAt = Date.now();
  const child = new Deno.Command(program, {
    args,
    env: options.env ?? {},
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }, options.timeoutMs);
  let stdout = "";
  const decoder = new TextDecoder();
  const copy = async (stream: ReadableStream<Uint8Array>, keep: boolean) => {
    for await (const chunk of stream) {
      if (keep) stdout += decoder.decode(chunk, { stream: true });
      await log.write(chunk);
    }
  };
  const [status] = await Promise.all([
    child.status,
    copy(child.stdout, true),
    copy(child.stderr, false),
  ]);
  const endedAt = Date.now();
  if (timer !== undefined) clearTimeout(timer);
  log.close();
  const code = status.signal === null ? status.code : 128 + signalNumber(status.signal);
  return { code, startedAt, endedAt, stdout };
}

/**
 * Run a command and return its stdout, throwing when it fails: for short
 * helper calls (`nix-store`, `nix --version`).
 */
export async function output(
  argv: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<string> {
  const [program, ...args] = argv;
  if (program === undefined) throw new RangeError("Cannot run a command as argv is empty");
  const result = await new Deno.Command(program, { args, env, stdin: "null" }).output();
  if (!result.success) {
    const stderr = new TextDecoder().decode(result.stderr).trim().split("\n").slice(-3).join(" | ");
    throw new Error(`Cannot run ${argv.join(" ")}: exit code ${result.code}: ${stderr}`);
  }
  return new TextDecoder().decode(result.stdout);
}

function signalNumber(signal: Deno.Signal): number {
  const numbers: Partial<Record<Deno.Signal, number>> = {
    SIGHUP: 1,
    SIGINT: 2,
    SIGKILL: 9,
    SIGTERM: 15,
  };
  return numbers[signal] ?? 0;
}
