/**
 * The seam through which attic-ci starts other programs (`nix`, `nix-store`,
 * `attic`). Tests drive the real runner against real Nix, or a double where a
 * fault must be injected.
 *
 * @module
 */

/** What a finished command left behind. */
export interface CommandResult {
  /** Exit code; 128+N when killed by signal N (shell convention). */
  readonly code: number;
  /** True when the process was stopped by our timeout or abort signal. */
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

/** How to run one command. */
export interface CommandOptions {
  /** Arguments, without the program name. */
  readonly args: readonly string[];
  /** Variables to add or override in the child's environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Variables to remove from the inherited environment (e.g. the token variable). */
  readonly removeEnv?: readonly string[];
  /** Working directory. @default the current one */
  readonly cwd?: string;
  /** Kill the process (SIGTERM, then SIGKILL) after this many milliseconds. */
  readonly timeoutMs?: number;
  /** Kill the process (SIGTERM, then SIGKILL) when aborted. */
  readonly signal?: AbortSignal;
}

/** Starts a program and collects its output. Never throws for a non-zero exit. */
export interface CommandRunner {
  /** Run `program` to completion; rejects only if it cannot be started at all. */
  run(program: string, options: CommandOptions): Promise<CommandResult>;
}

/** Grace period between SIGTERM and SIGKILL when a command must stop. */
const KILL_GRACE_MS = 2_000;

/** Builds the child's environment: inherited, minus removals, plus additions. */
export function childEnvironment(
  env: Readonly<Record<string, string>> | undefined,
  removeEnv: readonly string[] | undefined,
): Record<string, string> {
  const result = Deno.env.toObject();
  for (const name of removeEnv ?? []) delete result[name];
  return { ...result, ...env };
}

/** The real runner, on `Deno.Command`. */
export class DenoCommandRunner implements CommandRunner {
  /** Runs the program, enforcing timeout and abort with SIGTERM then SIGKILL. */
  async run(program: string, options: CommandOptions): Promise<CommandResult> {
    const child = new Deno.Command(program, {
      args: [...options.args],
      env: childEnvironment(options.env, options.removeEnv),
      clearEnv: true,
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();

    let timedOut = false;
    let killTimer: ReturnType<typeof setTimeout> | undefined;
    const stop = () => {
      if (timedOut) return;
      timedOut = true;
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      killTimer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* already gone */ }
      }, KILL_GRACE_MS);
    };
    const timeout = options.timeoutMs !== undefined
      ? setTimeout(stop, options.timeoutMs)
      : undefined;
    if (options.signal?.aborted) stop();
    options.signal?.addEventListener("abort", stop, { once: true });
    try {
      const output = await child.output();
      const decoder = new TextDecoder();
      return {
        code: output.signal ? 128 + signalNumber(output.signal) : output.code,
        timedOut,
        stdout: decoder.decode(output.stdout),
        stderr: decoder.decode(output.stderr),
      };
    } finally {
      clearTimeout(timeout);
      clearTimeout(killTimer);
      options.signal?.removeEventListener("abort", stop);
    }
  }
}

const SIGNAL_NUMBERS: Partial<Record<Deno.Signal, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
};

/** The Linux number of a signal name (for the 128+N exit-status convention). */
export function signalNumber(signal: Deno.Signal): number {
  return SIGNAL_NUMBERS[signal] ?? 1;
}
