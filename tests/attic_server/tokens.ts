/**
 * Attic's tokens, as its server reads them: an HS256 JWT whose permissions sit
 * under `https://jwt.attic.rs/v1` → `caches` → a cache name or a pattern with
 * `*` → `{ "r": 0|1, "w": 0|1 }`. A token that does not verify, has expired,
 * or holds anything but the integers 0 and 1 there is treated as no token at
 * all, as the real server does (so it shows as 401, never as a token error).
 *
 * @module
 */

import { jwtVerify, SignJWT } from "jose";

const CLAIM = "https://jwt.attic.rs/v1";

/** What a request may do to one cache. */
export interface CachePermission {
  readonly read: boolean;
  readonly write: boolean;
}

/** Patterns to permission bits, as the token grants them. */
export type Grants = Record<string, { r?: 0 | 1; w?: 0 | 1 }>;

/** Signs a token granting `caches`, valid for `seconds` (negative: already expired). */
export async function signToken(secret: string, caches: Grants, seconds = 3600): Promise<string> {
  return await new SignJWT({ [CLAIM]: { caches } })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject("attic-ci-test")
    .setExpirationTime(Math.floor(Date.now() / 1000) + seconds)
    .sign(new TextEncoder().encode(secret));
}

/** The grants of the request's token, or null for none (or an invalid one). */
export async function grantsOf(request: Request, secret: string): Promise<Grants | null> {
  const token = tokenOf(request.headers.get("authorization"));
  if (token === null) return null;
  try {
    const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), {
      algorithms: ["HS256"],
      clockTolerance: 0,
    });
    const caches = (payload[CLAIM] as { caches?: unknown } | undefined)?.caches;
    if (caches === null || typeof caches !== "object") return null;
    for (const bits of Object.values(caches as Record<string, unknown>)) {
      if (bits === null || typeof bits !== "object") return null;
      for (const value of Object.values(bits as Record<string, unknown>)) {
        // Integers only: `true` makes the real server drop the whole token.
        if (value !== 0 && value !== 1) return null;
      }
    }
    return caches as Grants;
  } catch {
    return null;
  }
}

/** What `grants` allow on `cache` (the first matching pattern, exact names first). */
export function permissionOn(grants: Grants | null, cache: string): CachePermission | null {
  if (grants === null) return null;
  const exact = grants[cache];
  const match = exact ??
    Object.entries(grants).find(([pattern]) => patternMatches(pattern, cache))?.[1];
  if (match === undefined) return null;
  return { read: match.r === 1, write: match.w === 1 };
}

function patternMatches(pattern: string, name: string): boolean {
  const regex = new RegExp(
    `^${pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\-]/g, "\\$&")).join(".*")}$`,
  );
  return regex.test(name);
}

/** `Bearer <token>` (any case), or Basic with the token as the password (Nix's netrc). */
function tokenOf(header: string | null): string | null {
  if (header === null) return null;
  const [scheme, value] = header.split(/\s+/, 2);
  if (!scheme || !value) return null;
  if (scheme.toLowerCase() === "bearer") return value;
  if (scheme.toLowerCase() === "basic") {
    try {
      const decoded = atob(value);
      return decoded.slice(decoded.indexOf(":") + 1) || null;
    } catch {
      return null;
    }
  }
  return null;
}
