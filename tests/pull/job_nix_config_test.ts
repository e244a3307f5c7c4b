/**
 * The pull settings as text: the lines added to NIX_CONFIG (after the user's
 * own), the job's netrc (our entry first, the user's others kept), and the
 * export lines a job's shell evaluates — checked by a real shell and a real
 * Nix reading them.
 */

import {
  exportLines,
  pullSettingsLines,
  withNetrcEntry,
  withNixConfigLines,
} from "../../src/pull/job_nix_config.ts";
import type { PullSource } from "../../src/pull/pull_source.ts";
import { assertEquals } from "../helpers/assert.ts";
import { sh, tempDir } from "../helpers/nix.ts";

const SOURCE: PullSource = {
  substituter: "https://attic.example.com/main",
  publicKey: "main:0OGDpnGwjamPyy6ehQAnvLpA6DGcuM6fZx3pKgOI6q4=",
  credentials: { host: "attic.example.com", token: "tok" },
};

Deno.test("pullSettingsLines() adds the substituter and key, names the netrc, and forgets misses", () => {
  assertEquals(pullSettingsLines(SOURCE, "/tmp/state/netrc"), [
    "extra-substituters = https://attic.example.com/main",
    "extra-trusted-public-keys = main:0OGDpnGwjamPyy6ehQAnvLpA6DGcuM6fZx3pKgOI6q4=",
    "netrc-file = /tmp/state/netrc",
    "narinfo-cache-negative-ttl = 0",
  ]);
  assertEquals(pullSettingsLines({ ...SOURCE, credentials: null }, null).length, 3);
});

Deno.test("withNixConfigLines() keeps the user's NIX_CONFIG first and ends with a newline", () => {
  assertEquals(withNixConfigLines(undefined, ["a = 1"]), "a = 1\n");
  assertEquals(withNixConfigLines("", ["a = 1"]), "a = 1\n");
  assertEquals(withNixConfigLines("mine = x\n\n", ["a = 1", "b = 2"]), "mine = x\na = 1\nb = 2\n");
});

Deno.test("a real Nix reads the job's settings on top of the user's own", async () => {
  const config = withNixConfigLines(
    "extra-substituters = https://mine.example.com\n",
    pullSettingsLines(SOURCE, "/tmp/state/netrc"),
  );
  const result = await sh("nix", ["--extra-experimental-features", "nix-command", "show-config"], {
    env: { NIX_CONFIG: `substituters = https://cache.nixos.org/\n${config}` },
  });
  assertEquals(result.code, 0, result.stderr);
  const setting = (name: string) => new RegExp(`^${name} = (.*)$`, "m").exec(result.stdout)?.[1];
  assertEquals(
    setting("substituters"),
    "https://cache.nixos.org/ https://mine.example.com https://attic.example.com/main",
  );
  assertEquals(setting("netrc-file"), "/tmp/state/netrc");
  assertEquals(setting("narinfo-cache-negative-ttl"), "0");
  assertEquals(setting("require-sigs"), "true");
});

Deno.test("withNetrcEntry() puts the cache's host first and keeps every other entry, one per line", () => {
  const existing = [
    "machine attic.example.com",
    "  login x password old",
    "machine github.com login me password gh",
    "default login anon password none",
  ].join("\n");
  assertEquals(
    withNetrcEntry(existing, { host: "attic.example.com", token: "tok" }),
    [
      "machine attic.example.com password tok",
      "machine github.com login me password gh",
      "default login anon password none",
      "",
    ].join("\n"),
  );
  assertEquals(
    withNetrcEntry("", { host: "h", token: "t" }),
    "machine h password t\n",
  );
});

Deno.test("exportLines() survives a real shell's eval, quotes, newlines and $ included", async () => {
  const value = "line one\nit's $HOME and `x` and \\ too\n";
  const dir = await tempDir();
  try {
    const script = `${dir}/env.sh`;
    await Deno.writeTextFile(script, exportLines({ NIX_CONFIG: value }));
    const result = await sh("bash", ["-c", `eval "$(cat '${script}')"; printf %s "$NIX_CONFIG"`]);
    assertEquals(result.stdout, value);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
