/**
 * Choosing how a session tells its own paths from other jobs' (see
 * engine/attribution.ts), once, and saying so in one line where it matters:
 * by process where Nix runs single-user (every container executor, most
 * shell runners), by the derivation closure of what the job builds where a
 * daemon does the work, and — a daemon without installables — only the
 * job's `result*` out-links at the end.
 *
 * @module
 */

import {
  allPaths,
  type Attribution,
  type AttributionMode,
  closureOf,
  outLinksOnly,
} from "../engine/attribution.ts";
import { ProcessAttribution } from "../engine/process_attribution.ts";
import { nixDatabaseFile } from "../store/nix_database.ts";
import { nixStateDir, tempRootsParts } from "../store/temp_roots.ts";
import { storeQueries } from "../store/store_queries.ts";
import type { EngineConfig } from "../options/engine_config.ts";
import { type NixStoreInfo, readStoreInfo } from "../pull/nix_settings.ts";
import { OwnedPaths } from "../state/owned_paths.ts";
import { reason, type StateFiles } from "../state/state_dir.ts";
import { derivationClosure } from "../store/derivation_closure.ts";
import type { StorePath } from "../store/store_path.ts";
import type { DeriverReader } from "../store/store_queries.ts";
import type { CommandContext } from "./context.ts";

/** How this session tells its paths, and where it records them. */
export interface AttributionSetup {
  readonly attribution: Attribution;
  readonly owned: OwnedPaths | null;
}

/** What the choice depends on. */
export interface AttributionContext {
  /** `watch` pushes a whole host's paths: every path is its own. */
  readonly command: "exec" | "build" | "start" | "watch";
  /** What the job builds (`build`'s, or `--installables`); empty when unknown. */
  readonly installables: readonly string[];
  /** `build`'s Nix arguments (they shape what is evaluated). */
  readonly nixFlags?: readonly string[];
  /** The store the job's Nix talks to, if the pull side asked already. */
  readonly store?: NixStoreInfo | null;
  /** The job's process group (the detached watcher's is not the job's: `start` hands it over). */
  readonly group: number | null;
  /** Variables for the `nix` calls of the closure (the pull side's). */
  readonly nixEnv?: Readonly<Record<string, string>>;
}

/** Chooses the attribution; see the module documentation. */
export async function setUpAttribution(
  config: EngineConfig,
  ctx: CommandContext,
  files: StateFiles,
  context: AttributionContext,
): Promise<AttributionSetup> {
  const { system, logger } = ctx;
  const why = await chooseMode(config, ctx, context);
  const mode = why.mode;
  let owned: OwnedPaths | null = null;
  try {
    owned = mode === "all" ? null : await OwnedPaths.begin(files);
  } catch (error) {
    logger.warn(`cannot record this job's paths in ${files.dir} (${reason(error)})`);
  }
  if (mode === "all") return { attribution: allPaths(), owned: null };
  if (mode === "process") {
    const roots = tempRootsParts(nixStateDir(system.env), system);
    const { derivers } = storeQueries(system, { storeDir: config.storeDir, env: system.env });
    return {
      attribution: new ProcessAttribution(roots, {
        group: context.group!,
        deriverOf: async (path) => (await derivers.derivers([path])).get(path) ?? null,
        // A disk that refuses is said by the ledger's record; they stay known in memory.
        onOurDerivations: (paths) => void owned?.add(paths).catch(() => {}),
        clock: system.clock,
      }),
      owned,
    };
  }
  if (mode === "closure") {
    return { attribution: closureOf(closure(ctx, context, owned)), owned };
  }
  logger.warn(
    `${why.reason}, so which new store paths are this job's cannot be told while it builds` +
      `${why.daemon ? " (that needs root)" : ""}: nothing is streamed, and the final push takes ` +
      "the closures of its result* out-links. Name what it builds (--installables, " +
      "ATTIC_CI_INSTALLABLES, the installables input) to stream exactly that, or use " +
      "--attribution all on a runner that runs one job at a time",
  );
  return { attribution: outLinksOnly(), owned };
}

/**
 * What the final push's reconcile may take: every path (`all`, or a session
 * that recorded no attribution), else the paths recorded as this job's —
 * and, in the process that streamed (`live`), those its attribution tells
 * are the job's though the stream never decided them (their events were
 * lost in an overflow, and the rescan came too late).
 */
export function reconcileFilter(
  mode: string | undefined,
  owned: OwnedPaths | null,
  derivers: DeriverReader,
  live: Pick<Attribution, "decide"> | null = null,
): ReconcileFilter | undefined {
  if (mode === undefined || mode === "all") return undefined;
  return async (paths) => {
    const ours = new Set(paths.filter((path) => owned?.has(path)));
    if (live !== null) {
      const undecided = paths.filter((path) => !ours.has(path));
      const verdicts = await Promise.all(
        undecided.map((path) => live.decide(path).catch(() => "unknown" as const)),
      );
      undecided.forEach((path, i) => verdicts[i] === "ours" && ours.add(path));
    }
    const rest = paths.filter((path) => !ours.has(path));
    if (mode === "process" && owned !== null && rest.length > 0) {
      // A path whose roots nobody read (the watcher was gone): the derivation it came from tells.
      const found = await derivers.derivers(rest).catch(() => new Map<StorePath, null>());
      for (const [path, deriver] of found) if (deriver && owned.has(deriver)) ours.add(path);
    }
    return ours;
  };
}

/** What the final push's reconcile may take of the paths that appeared. */
export type ReconcileFilter = (paths: readonly StorePath[]) => Promise<ReadonlySet<StorePath>>;

/** `{ owns }` when there is a filter, else nothing (for an options object). */
export function ownsOption(
  owns: ReconcileFilter | undefined,
): { owns?: ReconcileFilter } {
  return owns === undefined ? {} : { owns };
}

/** A mode, and — where it is not the soundest — why (for the one line that says so). */
interface ModeChoice {
  readonly mode: AttributionMode;
  readonly reason: string;
  /** The reason is a daemon (telling would need root). */
  readonly daemon: boolean;
}

/** The mode: `all` when asked (or `watch`), else the soundest this machine allows. */
async function chooseMode(
  config: EngineConfig,
  ctx: CommandContext,
  context: AttributionContext,
): Promise<ModeChoice> {
  const choice = (mode: AttributionMode, reason = "", daemon = false) => ({ mode, reason, daemon });
  if (config.attribution === "all" || context.command === "watch") return choice("all");
  const { system } = ctx;
  const store = context.store === undefined ? await readStoreInfo(system) : context.store;
  // Single-user Nix on this machine's own store: its processes' temporary roots are readable.
  const daemon = store !== null && store.url !== "local";
  const ownStore = nixDatabaseFile(config.storeDir, system.env) !== null;
  if (!daemon && ownStore && context.group !== null) return choice("process");
  if (context.installables.length > 0) return choice("closure");
  if (daemon) return choice("out-links", "this job's Nix uses a daemon", true);
  return choice(
    "out-links",
    ownStore
      ? "this job's process group is not known"
      : `${config.storeDir} is not this machine's store`,
  );
}

/** The installables' derivation closure, recorded as this job's; null (and one warning) if it fails. */
async function closure(
  ctx: CommandContext,
  context: AttributionContext,
  owned: OwnedPaths | null,
): Promise<ReadonlySet<StorePath> | null> {
  try {
    const paths = await derivationClosure(ctx.system, {
      installables: context.installables,
      ...(context.nixFlags ? { nixFlags: context.nixFlags } : {}),
      ...(context.nixEnv ? { env: context.nixEnv } : {}),
    });
    await owned?.add(paths).catch(() => {});
    return paths;
  } catch (error) {
    ctx.logger.warn(
      `cannot tell this job's paths from the closure of ${context.installables.join(" ")} (${
        error instanceof Error ? error.message : error
      }): only its result* out-links are pushed, at the end`,
    );
    return null;
  }
}
