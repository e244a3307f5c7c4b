/**
 * A multi-user Nix (a daemon does the downloads) ignores the substituters,
 * keys and netrc of a client it does not trust. Whether that is the case
 * here, and the exact lines an admin adds once so the daemon substitutes from
 * the cache — never "make the CI user trusted", which is root access.
 *
 * @module
 */

import type { NixSettings, NixStoreInfo } from "./nix_settings.ts";
import { isDaemonStore } from "./nix_settings.ts";
import type { PullSource } from "./pull_source.ts";

/** Who runs the job's Nix. */
export interface NixUser {
  readonly name: string;
  readonly groups: readonly string[];
}

/** Whether the job's Nix will use our settings. */
export type DaemonVerdict =
  /** No daemon (single-user Nix, every container image): the job's settings apply. */
  | { readonly kind: "local" }
  /** A daemon that trusts this user: the job's settings apply. */
  | { readonly kind: "trusted" }
  /** A daemon set up for the cache already; `note`: what could not be checked from here. */
  | { readonly kind: "configured"; readonly note: string | null }
  /** A daemon that ignores the job's settings; `advice`: the one line for the admin. */
  | { readonly kind: "ignored"; readonly advice: string };

/** What {@linkcode daemonVerdict} looks at. */
export interface DaemonFacts {
  readonly store: NixStoreInfo;
  /** The settings as the job's Nix sees them (the daemon reads the same `nix.conf`); null if unknown. */
  readonly settings: NixSettings | null;
  readonly user: NixUser;
  readonly source: PullSource;
}

/** Decides; see {@linkcode DaemonVerdict}. */
export function daemonVerdict(facts: DaemonFacts): DaemonVerdict {
  const { store, settings, user, source } = facts;
  if (!isDaemonStore(store)) return { kind: "local" };
  const trusted = store.trusted ?? isTrustedUser(settings?.trustedUsers ?? ["root"], user);
  if (trusted) return { kind: "trusted" };
  const confDir = settings?.confDir ?? "/etc/nix";
  const netrcFile = settings?.netrcFile ?? `${confDir}/netrc`;
  const netrcLine = source.credentials === null
    ? null
    : `machine ${source.credentials.host} password <a token that may pull from the cache>`;
  if (settings !== null && daemonHasCache(settings, source)) {
    return {
      kind: "configured",
      note: netrcLine === null
        ? null
        : `the daemon reads the private cache's token from its own netrc (${netrcFile}): ` +
          `it needs the line "${netrcLine}" there`,
    };
  }
  const lines = [
    `"extra-trusted-substituters = ${source.substituter}"`,
    `"extra-trusted-public-keys = ${source.publicKey}"`,
  ];
  return {
    kind: "ignored",
    advice: `the Nix daemon ignores this job's substituter settings (user ${user.name} is not ` +
      `one it trusts), so nothing is pulled from the cache; an admin adds once to ` +
      `${confDir}/nix.conf on the runner: ${lines.join(" and ")} (with ` +
      `"extra-substituters = ${source.substituter}" every build there uses it)` +
      (netrcLine === null ? "" : `, and to the daemon's netrc file ${netrcFile}: "${netrcLine}"`) +
      `; then restart the daemon. The build runs without it`,
  };
}

/** Whether `trusted-users` names the user, one of its groups (`@group`), or everyone (`*`). */
export function isTrustedUser(trustedUsers: readonly string[], user: NixUser): boolean {
  return trustedUsers.some((entry) =>
    entry === "*" || entry === user.name ||
    (entry.startsWith("@") && user.groups.includes(entry.slice(1)))
  );
}

/** The daemon substitutes from the cache already: the URL allowed, the key trusted. */
function daemonHasCache(settings: NixSettings, source: PullSource): boolean {
  const same = (url: string) => url.replace(/\/+$/, "") === source.substituter.replace(/\/+$/, "");
  return [...settings.substituters, ...settings.trustedSubstituters].some(same) &&
    settings.trustedPublicKeys.includes(source.publicKey);
}
