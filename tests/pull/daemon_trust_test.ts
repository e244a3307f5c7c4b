/**
 * Whether the job's Nix uses our settings: a single-user Nix does; a daemon
 * does for a user it trusts, or when it has the cache already; otherwise the
 * one line for the admin names exactly the lines to add, and never suggests
 * trusting the CI user (that is root access).
 */

import { daemonVerdict, isTrustedUser } from "../../src/pull/daemon_trust.ts";
import type { NixSettings } from "../../src/pull/nix_settings.ts";
import type { PullSource } from "../../src/pull/pull_source.ts";
import { assert, assertEquals, assertIncludes } from "../helpers/assert.ts";

const SOURCE: PullSource = {
  substituter: "https://attic.example.com/main",
  publicKey: "main:0OGDpnGwjamPyy6ehQAnvLpA6DGcuM6fZx3pKgOI6q4=",
  credentials: { host: "attic.example.com", token: "secret-token" },
};
const SETTINGS: NixSettings = {
  netrcFile: "/etc/nix/netrc",
  substituters: ["https://cache.nixos.org/"],
  trustedSubstituters: [],
  trustedPublicKeys: ["cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY="],
  trustedUsers: ["root", "@wheel"],
  confDir: "/etc/nix",
};
const CI = { name: "gitlab-runner", groups: ["gitlab-runner", "docker"] };
const DAEMON = { url: "daemon", trusted: null };

Deno.test("a local store (single-user Nix, every container image) uses the job's settings", () => {
  assertEquals(
    daemonVerdict({
      store: { url: "local", trusted: null },
      settings: SETTINGS,
      user: CI,
      source: SOURCE,
    }),
    { kind: "local" },
  );
});

Deno.test("a daemon that says it trusts us, or whose trusted-users name us or our group, uses them", () => {
  const trusted = {
    store: { url: "daemon", trusted: true },
    settings: SETTINGS,
    user: CI,
    source: SOURCE,
  };
  assertEquals(daemonVerdict(trusted).kind, "trusted");
  const wheel = { ...CI, groups: ["wheel"] };
  assertEquals(daemonVerdict({ ...trusted, store: DAEMON, user: wheel }).kind, "trusted");
  // What Nix reports wins over what nix.conf seems to say.
  assertEquals(
    daemonVerdict({ ...trusted, store: { url: "unix:///x", trusted: false }, user: wheel }).kind,
    "ignored",
  );
  assert(isTrustedUser(["*"], CI));
  assert(!isTrustedUser(["root", "@wheel"], CI));
});

Deno.test("a daemon set up for the cache needs nothing; for a private cache it is told about its own netrc", () => {
  const settings = {
    ...SETTINGS,
    trustedSubstituters: ["https://attic.example.com/main/"],
    trustedPublicKeys: [...SETTINGS.trustedPublicKeys, SOURCE.publicKey],
  };
  const verdict = daemonVerdict({ store: DAEMON, settings, user: CI, source: SOURCE });
  assertEquals(verdict.kind, "configured");
  assert(verdict.kind === "configured");
  assertIncludes(verdict.note!, '"machine attic.example.com password <a token that may pull');
  assertIncludes(verdict.note!, "/etc/nix/netrc");
  const open = daemonVerdict({
    store: DAEMON,
    settings,
    user: CI,
    source: { ...SOURCE, credentials: null },
  });
  assertEquals(open, { kind: "configured", note: null });
});

Deno.test("an untrusting daemon gets one line with the exact lines an admin adds, never the token, never trusted-users", () => {
  const verdict = daemonVerdict({ store: DAEMON, settings: SETTINGS, user: CI, source: SOURCE });
  assert(verdict.kind === "ignored");
  const advice = verdict.advice;
  assert(!advice.includes("\n"), "one line");
  assertIncludes(advice, "/etc/nix/nix.conf");
  assertIncludes(advice, '"extra-trusted-substituters = https://attic.example.com/main"');
  assertIncludes(advice, `"extra-trusted-public-keys = ${SOURCE.publicKey}"`);
  assertIncludes(advice, '"extra-substituters = https://attic.example.com/main"');
  assertIncludes(advice, '"machine attic.example.com password <a token that may pull');
  assertIncludes(advice, "user gitlab-runner");
  assertIncludes(advice, "The build runs without it");
  assert(!advice.includes("secret-token"), "the token is never in the advice");
  assert(!advice.includes("trusted-users"), "never advise trusting the CI user");
});

Deno.test("the advice follows NIX_CONF_DIR and the netrc-file Nix reads; a public cache needs no netrc line", () => {
  const verdict = daemonVerdict({
    store: DAEMON,
    settings: { ...SETTINGS, confDir: "/srv/nix", netrcFile: "/srv/nix/secrets/netrc" },
    user: CI,
    source: { ...SOURCE, credentials: null },
  });
  assert(verdict.kind === "ignored");
  assertIncludes(verdict.advice, "/srv/nix/nix.conf");
  assert(!verdict.advice.includes("netrc"), verdict.advice);
  const unknown = daemonVerdict({ store: DAEMON, settings: null, user: CI, source: SOURCE });
  assert(unknown.kind === "ignored");
  assertIncludes(unknown.advice, "/etc/nix/netrc");
});
