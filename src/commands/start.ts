/**
 * `attic-ci start`: bootstrap, then launch the watcher fully detached (no
 * inherited stdin/stdout/stderr, or a GitLab job would hang waiting for them)
 * and return as soon as it watches.
 *
 * @module
 */

import { commandHelp } from "../cli/help.ts";
import { ENGINE_OPTIONS, GLOBAL_OPTIONS } from "../cli/option_specs.ts";
import { ConfigError } from "../errors.ts";
import { ensurePrivateDir, readOptional, stateFiles } from "../state/state_dir.ts";
import type { CommandContext } from "./context.ts";
import { ENGINE_HELP_GROUPS } from "./exec.ts";
import { parseEngineCommand } from "./options.ts";
import { setUpBackend } from "./pipeline.ts";
import { readStatus } from "./status_file.ts";
import { INTERNAL_BOOTSTRAP_VARIABLE, refuseSecondWatcher } from "./watch.ts";

/** `start --help`. */
export const START_HELP = commandHelp(
  "attic-ci start [OPTIONS]",
  "Fetch the attic client (substitution only), start a detached watcher that pushes every\n" +
    "finished store path, and return at once. End with `attic-ci stop` (drain, final push,\n" +
    "report); `attic-ci push` in after_script catches what a killed watcher left.",
  ENGINE_HELP_GROUPS,
);

/** How long `start` waits for the watcher to report that it watches. */
const READY_TIMEOUT_MS = 30_000;

/** Runs `start`; returns the exit code. */
export async function startCommand(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const parsed = await parseEngineCommand(argv, [...ENGINE_OPTIONS, ...GLOBAL_OPTIONS], ctx.env);
  if (parsed.help) {
    ctx.stdout(START_HELP);
    return 0;
  }
  if (parsed.args.positionals.length > 0) {
    throw new ConfigError(parsed.args.positionals[0]!, "unexpected argument", "see start --help");
  }
  const { config } = parsed;
  const files = stateFiles(config.stateDir);
  await ensurePrivateDir(files.dir);
  await refuseSecondWatcher(files);
  const setup = await setUpBackend(config, ctx, files);
  for (const stale of [files.status, files.watcherReport, files.pidfile]) {
    await Deno.remove(stale).catch(() => {});
  }

  const [program, ...selfArgs] = ctx.selfCommand;
  const extra: Record<string, string> = { ATTIC_CI_STATE_DIR: config.stateDir };
  if (setup.bootstrap) extra[INTERNAL_BOOTSTRAP_VARIABLE] = JSON.stringify(setup.bootstrap);
  // The watcher needs no token (start wrote the attic config): keep it out of its environment.
  const child = new Deno.Command(program!, {
    args: [...selfArgs, "__watch", ...argv],
    cwd: ctx.cwd,
    env: watcherEnvironment(ctx.env, extra, config.tokenVariable),
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
  }).spawn();
  child.unref();
  let exited = false;
  child.status.then(() => exited = true, () => exited = true);

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const status = await readStatus(files);
    if (status?.pid === child.pid && status.state === "watching") {
      ctx.logger.info(
        `watcher started (pid ${child.pid}, state ${files.dir}); end with attic-ci stop`,
      );
      return 0;
    }
    if (exited) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const log = (await readOptional(files.watcherLog) ?? "").trim().split("\n").slice(-5);
  ctx.logger.warn(
    `the watcher did not start${exited ? " (it exited)" : ""}; its log says:\n  ${
      log.join("\n  ")
    }`,
  );
  ctx.logger.warn("nothing will be streamed; attic-ci push at the end still pushes the build");
  return config.strict ? 1 : 0;
}

/** The detached watcher's environment: ours, without the token variable, plus `extra`. */
function watcherEnvironment(
  env: Readonly<Record<string, string | undefined>>,
  extra: Readonly<Record<string, string>>,
  tokenVariable: string,
): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && name !== tokenVariable) result[name] = value;
  }
  return { ...result, ...extra };
}
