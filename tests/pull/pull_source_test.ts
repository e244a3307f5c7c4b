/**
 * Where a job's Nix substitutes from: an Attic cache's configuration (its
 * substituter endpoint, its key, and the token for a private cache), or the
 * store URL of backend nix-copy with the public half of the key it signs
 * with — computed as `nix key convert-secret-to-public` computes it.
 */

import type { CacheConfig } from "../../src/attic/attic_api.ts";
import {
  atticPullSource,
  keyName,
  publicKeyOfSecret,
  storeUrlPullSource,
} from "../../src/pull/pull_source.ts";
import { assert, assertEquals, assertIncludes, assertThrows } from "../helpers/assert.ts";
import { sh, tempDir } from "../helpers/nix.ts";

const KEY = "main:0OGDpnGwjamPyy6ehQAnvLpA6DGcuM6fZx3pKgOI6q4=";
const CONFIG: CacheConfig = {
  apiEndpoint: "https://attic.example.com/",
  upstreamKeyNames: ["cache.nixos.org-1"],
  substituterEndpoint: "https://attic.example.com/main",
  publicKey: KEY,
  isPublic: false,
};

/** A secret key from Nix itself, and the public key Nix derives from it. */
async function nixKeyPair(name: string): Promise<{ secret: string; public: string }> {
  const secret = await sh("nix", [
    "--extra-experimental-features",
    "nix-command",
    "key",
    "generate-secret",
    "--key-name",
    name,
  ]);
  assertEquals(secret.code, 0, secret.stderr);
  const dir = await tempDir();
  try {
    await Deno.writeTextFile(`${dir}/key`, secret.stdout);
    const pub = await sh("sh", [
      "-c",
      `nix --extra-experimental-features nix-command key convert-secret-to-public < '${dir}/key'`,
    ]);
    assertEquals(pub.code, 0, pub.stderr);
    return { secret: secret.stdout.trim(), public: pub.stdout.trim() };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a private Attic cache is read with the token, sent to the substituter's host", () => {
  assertEquals(atticPullSource(CONFIG, "tok"), {
    substituter: "https://attic.example.com/main",
    publicKey: KEY,
    credentials: { host: "attic.example.com", token: "tok" },
  });
});

Deno.test("a public Attic cache, or no token, needs no netrc", () => {
  const open = atticPullSource({ ...CONFIG, isPublic: true }, "tok");
  assert(typeof open !== "string");
  assertEquals(open.credentials, null);
  const anonymous = atticPullSource({ ...CONFIG, isPublic: true }, null);
  assert(typeof anonymous !== "string");
  assertEquals(anonymous.credentials, null);
});

Deno.test("a cache configuration without an endpoint or a key is no pull source, and says which", () => {
  assertIncludes(
    atticPullSource({ ...CONFIG, substituterEndpoint: null }, "t") as string,
    "substituter_endpoint",
  );
  assertIncludes(atticPullSource({ ...CONFIG, publicKey: null }, "t") as string, "public_key");
});

Deno.test("keyName() is the name Nix writes before each signature", () => {
  assertEquals(keyName(KEY), "main");
  assertEquals(
    keyName("cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY="),
    "cache.nixos.org-1",
  );
});

Deno.test("publicKeyOfSecret() gives what nix key convert-secret-to-public gives", async () => {
  const pair = await nixKeyPair("attic-ci-test-1");
  assertEquals(publicKeyOfSecret(pair.secret), pair.public);
  assertThrows(() => publicKeyOfSecret(pair.public), "not a Nix secret key");
  assertThrows(() => publicKeyOfSecret("no-colon"), "not a Nix secret key");
});

Deno.test("a nix-copy store URL that signs is pulled from without its key file, trusting the key's public half", async () => {
  const pair = await nixKeyPair("attic-ci-copy-1");
  const dir = await tempDir();
  try {
    await Deno.writeTextFile(`${dir}/key.sec`, `${pair.secret}\n`);
    const source = await storeUrlPullSource(
      `file://${dir}/cache?compression=zstd&secret-key=${dir}/key.sec`,
      null,
    );
    assertEquals(source, {
      substituter: `file://${dir}/cache?compression=zstd`,
      publicKey: pair.public,
      credentials: null,
    });
    // A key given wins; the key file is not read.
    const given = await storeUrlPullSource(
      `file://${dir}/cache?secret-key=/nonexistent`,
      KEY,
    );
    assert(typeof given !== "string");
    assertEquals(given.publicKey, KEY);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a nix-copy store URL without a key, one Nix does not substitute from, or an unreadable key file is no pull source, with the reason", async () => {
  assertIncludes(
    await storeUrlPullSource("s3://bucket?region=eu-west-1", null) as string,
    "give --public-key",
  );
  for (const to of ["daemon", "local", "/some/store"]) {
    assertIncludes(await storeUrlPullSource(to, null) as string, "Nix does not substitute from");
  }
  assertIncludes(
    await storeUrlPullSource("file:///c?secret-key=/nonexistent/key", null) as string,
    "cannot read the public key from --to's secret-key file /nonexistent/key",
  );
});
