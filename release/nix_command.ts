/**
 * Runs one `nix` command for the release tasks (signing, key generation),
 * with the new CLI enabled for that command only: the release pipeline's Nix
 * comes from Debian with nothing configured.
 *
 * @module
 */

/** A Nix command that failed; the message carries Nix's own last words. */
export class NixCommandError extends Error {
  /** The command's exit code. */
  readonly code: number;

  /**
   * @param command the command line, for the message
   * @param code its exit code
   * @param stderr what it printed on stderr
   */
  constructor(command: readonly string[], code: number, stderr: string) {
    const said = stderr.trim().split("\n").filter((line) => line.trim() !== "").at(-1) ?? "";
    super(`${command.join(" ")} failed (exit ${code})${said ? `: ${said}` : ""}`);
    this.name = "NixCommandError";
    this.code = code;
  }
}

/** Options of {@linkcode runNix}. */
export interface RunNixOptions {
  /** Text for the command's stdin. @default none */
  readonly stdin?: string;
  /** The `nix` program. @default "nix" */
  readonly nix?: string;
  /** Aborts the command. */
  readonly signal?: AbortSignal;
}

/**
 * Runs `nix --extra-experimental-features nix-command ARGS…` and returns its
 * stdout. Throws {@linkcode NixCommandError} when it fails.
 *
 * @example
 * ```ts
 * const publicKey = await runNix(["key", "convert-secret-to-public"], { stdin: secret });
 * ```
 */
export async function runNix(
  args: readonly string[],
  options: RunNixOptions = {},
): Promise<string> {
  const command = [options.nix ?? "nix", "--extra-experimental-features", "nix-command", ...args];
  const child = new Deno.Command(command[0]!, {
    args: command.slice(1),
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    ...(options.signal ? { signal: options.signal } : {}),
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const out = await child.output();
  const decoder = new TextDecoder();
  if (!out.success) throw new NixCommandError(command, out.code, decoder.decode(out.stderr));
  return decoder.decode(out.stdout);
}
