/**
 * Nix store access for the attic test double: store path parsing like
 * attic's `follow_store_path`, validity, closures and path info through the
 * Nix CLI, and writing into a local `file://` binary cache.
 *
 * @module
 */

import { AtticError, ioMessage } from "./config.ts";

/** The store directory (the real client hard-codes it too). */
export const STORE_DIR = "/nix/store";

// attic/src/nix_store/mod.rs STORE_BASE_NAME_REGEX. `+-.` is a range (+ , - .) there as here.
const STORE_BASE_NAME = /^[0123456789abcdfghijklmnpqrsvwxyz]{32}-[A-Za-z0-9+-._?=]+$/;
const HASH_LEN = 32;

/** Components of an absolute path below the store dir, or null if it is not under it. */
function storeRelative(path: string): string[] | null {
  if (!path.startsWith("/")) return null;
  const parts = path.split("/").filter((part) => part !== "" && part !== ".");
  const storeParts = STORE_DIR.split("/").filter((part) => part !== "");
  if (!storeParts.every((part, i) => parts[i] === part)) return null;
  return parts.slice(storeParts.length);
}

function debugPath(path: string): string {
  return JSON.stringify(path);
}

/** `to_base_name` + `StorePath::from_base_name` of the real client. */
function parseStorePath(path: string): string {
  const rest = storeRelative(path);
  if (rest === null) {
    throw new AtticError(`Invalid store path ${debugPath(path)}: Path is not in store directory`);
  }
  const first = rest[0];
  if (first === undefined) {
    throw new AtticError(`Invalid store path ${debugPath(path)}: Path is store directory itself`);
  }
  if (first.length < HASH_LEN) {
    throw new AtticError(`Invalid store path ${debugPath(path)}: Path is too short`);
  }
  if (!STORE_BASE_NAME.test(first)) {
    throw new AtticError(
      `Invalid store path base name ${debugPath(first)}: Name is of invalid format`,
    );
  }
  return `${STORE_DIR}/${first}`;
}

/**
 * The top-level store path a path argument means: a path inside the store is
 * cut to its top-level entry (symlinks in it are not followed); any other
 * path is canonicalised first.
 *
 * @example
 * ```ts
 * followStorePath("/nix/store/<hash>-hello/bin/hello"); // "/nix/store/<hash>-hello"
 * ```
 */
export function followStorePath(path: string): string {
  if (storeRelative(path) !== null) return parseStorePath(path);
  let canonical: string;
  try {
    canonical = Deno.realPathSync(path);
  } catch (error) {
    throw new AtticError(`I/O error: ${ioMessage(error)}.`);
  }
  return parseStorePath(canonical);
}

/** The base name (`<hash>-<name>`) of a store path. */
export function baseName(storePath: string): string {
  return storePath.slice(STORE_DIR.length + 1);
}

/** The hash part of a store path. */
export function hashPart(storePath: string): string {
  return baseName(storePath).slice(0, HASH_LEN);
}

/** The result of a finished command. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; `signal` kills it. */
export async function runCommand(
  cmd: string,
  args: string[],
  signal?: AbortSignal,
): Promise<CommandResult> {
  const options: Deno.CommandOptions = { args, stdin: "null", stdout: "piped", stderr: "piped" };
  if (signal) options.signal = signal;
  const output = await new Deno.Command(cmd, options).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** Splits a list of arguments so no command line gets too long. */
function chunks<T>(items: T[], size = 1000): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The new CLI for the double's own `nix` calls (the real client does not run the CLI at all). */
const NEW_CLI = ["--extra-experimental-features", "nix-command"];

/** Store paths among `paths` that are not valid, via `nix-store --check-validity`. */
export async function invalidPaths(paths: string[], signal?: AbortSignal): Promise<string[]> {
  const invalid: string[] = [];
  for (const chunk of chunks(paths)) {
    const result = await runCommand(
      "nix-store",
      ["--check-validity", "--print-invalid", "--", ...chunk],
      signal,
    );
    if (result.code !== 0) {
      throw new AtticError(`nix-store exited with exit status: ${result.code}`);
    }
    invalid.push(...result.stdout.split("\n").filter((line) => line !== ""));
  }
  return invalid;
}

/** The runtime closure of valid paths (`nix-store --query --requisites`). */
export async function closureOf(paths: string[], signal?: AbortSignal): Promise<string[]> {
  if (paths.length === 0) return [];
  const result = await runCommand("nix-store", ["--query", "--requisites", "--", ...paths], signal);
  if (result.code !== 0) throw new AtticError(`nix-store exited with exit status: ${result.code}`);
  return result.stdout.split("\n").filter((line) => line !== "");
}

/** What the double needs of `nix path-info --json`. */
export interface PathInfo {
  path: string;
  /** As Nix prints it (`sha256-<base64>` in Nix 2.8). */
  narHash: string;
  narSize: number;
  references: string[];
  deriver: string | null;
  signatures: string[];
  ca: string | null;
}

/** Path info of valid paths, keyed by path. */
export async function queryPathInfos(
  paths: string[],
  signal?: AbortSignal,
): Promise<Map<string, PathInfo>> {
  const infos = new Map<string, PathInfo>();
  for (const chunk of chunks(paths)) {
    // The real client reads the store through libnixstore, whatever the CLI's settings: the
    // double enables the new CLI for its own calls (images such as nixos/nix do not).
    const result = await runCommand(
      "nix",
      [...NEW_CLI, "path-info", "--json", "--", ...chunk],
      signal,
    );
    if (result.code !== 0) {
      throw new AtticError(
        `nix path-info ${chunk[0]} exited with exit status: ${result.code}: ${result.stderr}`,
      );
    }
    const parsed: unknown = JSON.parse(result.stdout);
    // Nix 2.8 prints an array; newer Nix prints an object keyed by path.
    const entries: [string, Record<string, unknown>][] = Array.isArray(parsed)
      ? parsed.map((entry: Record<string, unknown>) => [String(entry.path), entry])
      : Object.entries(parsed as Record<string, Record<string, unknown>>);
    for (const [path, entry] of entries) {
      if (entry.valid === false || typeof entry.narHash !== "string") {
        throw new AtticError(
          `nix path-info ${path} exited with exit status: 1: error: path '${path}' is not valid\n`,
        );
      }
      infos.set(path, {
        path,
        narHash: entry.narHash,
        narSize: Number(entry.narSize),
        references: Array.isArray(entry.references) ? entry.references.map(String) : [],
        deriver: typeof entry.deriver === "string" ? entry.deriver : null,
        signatures: Array.isArray(entry.signatures) ? entry.signatures.map(String) : [],
        ca: typeof entry.ca === "string" ? entry.ca : null,
      });
    }
  }
  return infos;
}

/** Names of the keys that signed a path (`name:signature`). */
export function signatureKeyNames(info: PathInfo): string[] {
  return info.signatures.flatMap((sig) => {
    const colon = sig.indexOf(":");
    return colon < 0 ? [] : [sig.slice(0, colon)];
  });
}

/** Orders paths so that references come before their referrers (stable otherwise). */
export function topoSort(paths: string[], infos: Map<string, PathInfo>): string[] {
  const wanted = new Set(paths);
  const done = new Set<string>();
  const out: string[] = [];
  const visit = (path: string, depth: number) => {
    if (done.has(path) || !wanted.has(path) || depth > paths.length) return;
    done.add(path);
    for (const ref of infos.get(path)?.references ?? []) {
      if (ref !== path) visit(ref, depth + 1);
    }
    out.push(path);
  };
  for (const path of paths) visit(path, 0);
  return out;
}

const NIX32_CHARS = "0123456789abcdfghijklmnpqrsvwxyz";

/** Nix's base-32 encoding of a hash. */
export function toNix32(bytes: Uint8Array): string {
  const length = Math.ceil((bytes.length * 8) / 5);
  let out = "";
  for (let n = length - 1; n >= 0; n--) {
    const bit = n * 5;
    const i = Math.floor(bit / 8);
    const j = bit % 8;
    const low = (bytes[i] ?? 0) >> j;
    const high = i + 1 < bytes.length ? (bytes[i + 1] ?? 0) << (8 - j) : 0;
    out += NIX32_CHARS[(low | high) & 0x1f];
  }
  return out;
}

/** A `sha256-<base64>` (SRI) or `sha256:<nix32>` hash as `sha256:<nix32>`. */
export function narHashNix32(hash: string): string {
  if (hash.startsWith("sha256:")) return hash;
  if (!hash.startsWith("sha256-")) throw new AtticError(`Unsupported NAR hash ${hash}`);
  const binary = atob(hash.slice("sha256-".length));
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return `sha256:${toNix32(bytes)}`;
}

/** A local binary cache directory, as `nix copy --to file://DIR` writes it. */
export class LocalBinaryCache {
  constructor(readonly dir: string) {}

  /** The store URL Nix uses for this cache. */
  get url(): string {
    return `file://${this.dir}`;
  }

  /** Whether the cache holds a narinfo for the path. */
  has(storePath: string): boolean {
    try {
      Deno.statSync(`${this.dir}/${hashPart(storePath)}.narinfo`);
      return true;
    } catch {
      return false;
    }
  }

  /** Creates the directory and `nix-cache-info` if missing (same content Nix writes). */
  ensure(): void {
    Deno.mkdirSync(`${this.dir}/nar`, { recursive: true });
    try {
      Deno.writeTextFileSync(`${this.dir}/nix-cache-info`, `StoreDir: ${STORE_DIR}\n`, {
        createNew: true,
      });
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
  }

  /**
   * Copies paths with `nix copy --no-recursive`. Nix refuses a path whose
   * references are not in the cache, so callers only pass paths whose
   * references are cached or among `paths`. Returns Nix's error text, or null.
   */
  async copy(paths: string[], signal?: AbortSignal): Promise<string | null> {
    if (paths.length === 0) return null;
    for (const chunk of chunks(paths)) {
      const result = await runCommand(
        "nix",
        [...NEW_CLI, "copy", "--no-recursive", "--to", this.url, "--", ...chunk],
        signal,
      );
      if (result.code !== 0) {
        const line = result.stderr.split("\n").find((l) => l.startsWith("error:"));
        return line ?? `nix copy exited with exit status: ${result.code}`;
      }
    }
    return null;
  }

  /**
   * Writes one path without checking its references, the way an attic server
   * accepts any upload: an uncompressed NAR from `nix-store --dump` and a
   * narinfo, each written to a temporary name and renamed into place.
   */
  async writeWithoutReferenceCheck(info: PathInfo, signal?: AbortSignal): Promise<void> {
    this.ensure();
    const narHash = narHashNix32(info.narHash);
    const fileHash = narHash.slice("sha256:".length);
    const narPath = `${this.dir}/nar/${fileHash}.nar`;
    const tmp = `${narPath}.tmp.${Deno.pid}.${crypto.randomUUID()}`;
    const options: Deno.CommandOptions = {
      args: ["--dump", info.path],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    };
    if (signal) options.signal = signal;
    const child = new Deno.Command("nix-store", options).spawn();
    const file = await Deno.open(tmp, { write: true, createNew: true });
    const [status, stderr] = await Promise.all([
      child.status,
      new Response(child.stderr).text(),
      child.stdout.pipeTo(file.writable),
    ]);
    if (!status.success) {
      await Deno.remove(tmp).catch(() => {});
      throw new AtticError(`nix-store --dump exited with exit status: ${status.code}: ${stderr}`);
    }
    const size = (await Deno.stat(tmp)).size;
    if (size !== info.narSize) {
      await Deno.remove(tmp).catch(() => {});
      throw new AtticError(`NAR size mismatch for ${info.path}: ${size} != ${info.narSize}`);
    }
    await Deno.rename(tmp, narPath);
    const lines = [
      `StorePath: ${info.path}`,
      `URL: nar/${fileHash}.nar`,
      "Compression: none",
      `FileHash: ${narHash}`,
      `FileSize: ${info.narSize}`,
      `NarHash: ${narHash}`,
      `NarSize: ${info.narSize}`,
      `References: ${info.references.map(baseName).join(" ")}`,
    ];
    if (info.deriver !== null) lines.push(`Deriver: ${baseName(info.deriver)}`);
    for (const sig of info.signatures) lines.push(`Sig: ${sig}`);
    if (info.ca !== null) lines.push(`CA: ${info.ca}`);
    const narinfo = `${this.dir}/${hashPart(info.path)}.narinfo`;
    const narinfoTmp = `${narinfo}.tmp.${Deno.pid}.${crypto.randomUUID()}`;
    await Deno.writeTextFile(narinfoTmp, lines.join("\n") + "\n");
    await Deno.rename(narinfoTmp, narinfo);
  }
}
