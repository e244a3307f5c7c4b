/**
 * The settings that make a job's Nix substitute from the cache, as text: the
 * lines added to `NIX_CONFIG` (which every `nix` started from the job's
 * shell reads after all its configuration files, so nothing lasting is
 * written to a runner's `nix.conf`, and the user's own settings stay: lists
 * are extended with `extra-`, never replaced), and the job's netrc file (our
 * entry first, then every entry of the netrc the user's Nix read before).
 *
 * @module
 */

import type { NetrcCredentials, PullSource } from "./pull_source.ts";

/** The variable through which the settings reach every `nix` of the job. */
export const NIX_CONFIG_VARIABLE = "NIX_CONFIG";

/**
 * The lines a job's Nix needs to substitute from `source`: the substituter,
 * its key (signatures stay required), the job's netrc for a private cache,
 * and no memory of misses. Nix remembers a narinfo miss for an hour in
 * `~/.cache/nix` (`narinfo-cache-negative-ttl`); on a runner that keeps HOME,
 * the misses of the pipeline that filled the cache would make the next one
 * rebuild what it pushed.
 */
export function pullSettingsLines(source: PullSource, netrcFile: string | null): string[] {
  return [
    `extra-substituters = ${source.substituter}`,
    `extra-trusted-public-keys = ${source.publicKey}`,
    ...(netrcFile === null ? [] : [`netrc-file = ${netrcFile}`]),
    "narinfo-cache-negative-ttl = 0",
  ];
}

/**
 * `NIX_CONFIG` with `lines` after what it held: later lines win, so the
 * user's own inline settings are kept and ours are added to them.
 */
export function withNixConfigLines(existing: string | undefined, lines: readonly string[]): string {
  const before = (existing ?? "").replace(/\n+$/, "");
  return [...(before.length > 0 ? [before] : []), ...lines].join("\n") + "\n";
}

/**
 * `netrc` with the entry of `credentials.host` replaced by ours, first. A
 * netrc is a sequence of words in which each entry starts at `machine` or
 * `default`; the entries are kept one per line.
 */
export function withNetrcEntry(netrc: string, credentials: NetrcCredentials): string {
  const entries: string[][] = [];
  for (const word of netrc.split(/\s+/).filter((w) => w.length > 0)) {
    if (word === "machine" || word === "default" || entries.length === 0) entries.push([]);
    entries.at(-1)!.push(word);
  }
  const kept = entries.filter((e) => !(e[0] === "machine" && e[1] === credentials.host));
  const ours = ["machine", credentials.host, "password", credentials.token];
  return [ours, ...kept].map((entry) => entry.join(" ")).join("\n") + "\n";
}

/** A value quoted for a POSIX shell (single quotes; `'` as `'\''`). */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** `export NAME='value'` lines for `eval` in a job's shell. */
export function exportLines(env: Readonly<Record<string, string>>): string {
  return Object.entries(env).map(([name, value]) => `export ${name}=${shellQuote(value)}\n`)
    .join("");
}
