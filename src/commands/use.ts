/**
 * `attic-ci use`: make Nix substitute from the cache without pushing to it,
 * for jobs that only read (deploy, tests) — by default for this job (the
 * `export` lines on stdout, for `eval`), or with `--persist` for the user
 * (a developer's machine), as `attic use` does. A public cache needs no
 * token; a private one a token with the pull permission.
 *
 * @module
 */

import { commandLineOf } from "../options/command_specs.ts";
import { readToken } from "../attic/token.ts";
import { persistPullSource } from "../pull/user_nix_config.ts";
import { exportLines } from "../pull/job_nix_config.ts";
import { atticApiOf } from "../session/backend_setup.ts";
import {
  type CacheAccess,
  daemonVerdictOf,
  readPullSource,
  setUpPull,
} from "../session/pull_setup.ts";
import { readNixSettings, readStoreInfo } from "../pull/nix_settings.ts";
import { ensurePrivateDir, readOptional, stateFiles } from "../state/state_dir.ts";
import type { EngineCommand } from "./outcome.ts";

/** `attic-ci use`. */
export const useCommand: EngineCommand = {
  ...commandLineOf("use"),
  positionalHint: "see use --help",
  async run({ args, config, ctx }) {
    const { system, logger } = ctx;
    const token = config.backend === "attic"
      ? await readToken(config.tokenVariable, system.env)
      : null;
    if (config.backend === "attic" && token === null) {
      logger.info(`no token in ${config.tokenVariable}: reading the cache as anyone may (public)`);
    }
    const access: CacheAccess = {
      token,
      api: config.backend === "attic" ? atticApiOf(config, ctx, token) : null,
    };
    if (args.values.get("persist")?.value === true) {
      const [source, settings, store] = await Promise.all([
        readPullSource(config, ctx, access),
        readNixSettings(system, system.env),
        readStoreInfo(system),
      ]);
      if (source === null) {
        return { kind: "cache", cache: { complete: false, strict: config.strict } };
      }
      const netrc = settings?.netrcFile ?? null;
      const text = netrc === null ? null : await readOptional(netrc).catch(() => null);
      const written = await persistPullSource(
        source,
        system.env,
        netrc !== null && text !== null ? { file: netrc, text } : null,
      );
      logger.info(
        written.added.length === 0
          ? `${written.confFile} pulls from ${source.substituter} already`
          : `${written.confFile}: added ${written.added.join("; ")}`,
      );
      if (written.netrcFile !== null) logger.info(`${written.netrcFile}: the token (0600)`);
      const verdict = await daemonVerdictOf(system, store, settings, source);
      if (verdict.kind === "ignored") logger.warn(verdict.advice);
      if (verdict.kind === "configured" && verdict.note !== null) logger.info(verdict.note);
      return {
        kind: "cache",
        cache: { complete: verdict.kind !== "ignored", strict: config.strict },
      };
    }
    const files = stateFiles(config.stateDir);
    await ensurePrivateDir(files.dir);
    const pull = await setUpPull({ ...config, pull: true }, ctx, files, access);
    system.stdout(exportLines(pull.env));
    const complete = Object.keys(pull.env).length > 0;
    return { kind: "cache", cache: { complete, strict: config.strict } };
  },
};
