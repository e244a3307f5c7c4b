/**
 * Where a job's Nix substitutes from, and what it needs to trust and read it:
 * from an Attic cache's configuration (its `substituter_endpoint`, the key it
 * signs with, and the token for a private cache), or from the store URL of
 * backend `nix-copy` (with the key its paths are signed with).
 *
 * @module
 */

import type { CacheConfig } from "../attic/attic_api.ts";

/** A binary cache a job's Nix substitutes from. */
export interface PullSource {
  /** The substituter URL, e.g. `https://attic.example.com/main`. */
  readonly substituter: string;
  /** The key its paths are signed with, `<name>:<base64>` (Nix requires signatures). */
  readonly publicKey: string;
  /** Credentials Nix sends to read it (a private cache), or null for a public one. */
  readonly credentials: NetrcCredentials | null;
}

/** A netrc entry: the host of the substituter and the token as the password (Attic takes it). */
export interface NetrcCredentials {
  readonly host: string;
  readonly token: string;
}

/** The name of a `<name>:<base64>` key, which Nix writes before each signature it makes. */
export function keyName(key: string): string {
  return key.slice(0, key.indexOf(":"));
}

/**
 * The pull source of an Attic cache, or the reason there is none (one phrase
 * for the log). A private cache is read with `token` (which needs the pull
 * permission, as its cache-config did).
 */
export function atticPullSource(config: CacheConfig, token: string | null): PullSource | string {
  if (config.substituterEndpoint === null) {
    return "the cache's configuration names no substituter_endpoint";
  }
  if (config.publicKey === null) return "the cache's configuration names no public_key";
  const credentials = config.isPublic || token === null
    ? null
    : { host: new URL(config.substituterEndpoint).hostname, token };
  return { substituter: config.substituterEndpoint, publicKey: config.publicKey, credentials };
}

/** Store URL schemes Nix substitutes from (its binary caches and remote stores). */
const SUBSTITUTABLE = /^(file|https?|s3|ssh|ssh-ng|gs):\/\//;

/**
 * The pull source of backend `nix-copy`'s store URL `to`, or the reason there
 * is none. The key is `publicKey`, else the public half of the `secret-key`
 * file the URL signs with (Nix signs every path it copies there with it).
 */
export async function storeUrlPullSource(
  to: string,
  publicKey: string | null,
): Promise<PullSource | string> {
  if (!SUBSTITUTABLE.test(to)) return `Nix does not substitute from ${to}`;
  const secretKeyFile = new URL(to).searchParams.get("secret-key");
  // The substituter is the same store without our signing key: Nix only reads it.
  const substituter = withoutSecretKey(to);
  let key = publicKey;
  if (key === null && secretKeyFile !== null) {
    try {
      key = publicKeyOfSecret((await Deno.readTextFile(secretKeyFile)).trim());
    } catch (error) {
      return `cannot read the public key from --to's secret-key file ${secretKeyFile} (${
        error instanceof Error ? error.message : error
      })`;
    }
  }
  if (key === null) {
    return `${substituter} has no key to check its paths against: sign them (add ` +
      "?secret-key=FILE to --to, from `nix key generate-secret`) or give --public-key";
  }
  return { substituter, publicKey: key, credentials: null };
}

/** A store URL without its `secret-key` parameter, otherwise as written. */
export function withoutSecretKey(url: string): string {
  const at = url.indexOf("?");
  if (at < 0) return url;
  const kept = url.slice(at + 1).split("&").filter((p) =>
    p.length > 0 && !p.startsWith("secret-key=")
  );
  return kept.length === 0 ? url.slice(0, at) : `${url.slice(0, at)}?${kept.join("&")}`;
}

/**
 * The public key of a Nix secret key `<name>:<base64>`: Nix's secret keys are
 * libsodium Ed25519 secret keys, the 32-byte seed followed by the 32-byte
 * public key, so no process is needed (`nix key convert-secret-to-public`
 * gives the same).
 */
export function publicKeyOfSecret(secret: string): string {
  const colon = secret.indexOf(":");
  let bytes = "";
  try {
    bytes = colon > 0 ? atob(secret.slice(colon + 1)) : "";
  } catch { /* not base64: said below */ }
  if (bytes.length !== 64) {
    throw new Error("it is not a Nix secret key (<name>:<base64 of 64 bytes>)");
  }
  return `${secret.slice(0, colon)}:${btoa(bytes.slice(32))}`;
}
