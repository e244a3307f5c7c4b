/**
 * The attic client configuration (zhaofengli/attic: client/src/config.rs):
 * `$XDG_CONFIG_HOME/attic/config.toml` (else `$HOME/.config/attic/config.toml`)
 * with `default-server` and `[servers.NAME]` tables holding `endpoint` and
 * either `token` or `token-file`.
 *
 * @module
 */

import type { CacheRef } from "./cli_args.ts";
import { isValidCacheName } from "./cli_args.ts";
import { parseToml, TomlError, type TomlTable } from "./toml_subset.ts";

/** An error the real client reports as `Error: <message>` with exit code 1. */
export class AtticError extends Error {
  override name = "AtticError";
  /** `Caused by:` lines of anyhow's report, outermost first. */
  readonly causes: string[];
  constructor(message: string, causes: string[] = []) {
    super(message);
    this.causes = causes;
  }

  /** The text Rust prints for an `anyhow::Error` returned from `main`. */
  report(): string {
    if (this.causes.length === 0) return `Error: ${this.message}`;
    const chain = this.causes.length === 1
      ? `    ${this.causes[0]}`
      : this.causes.map((cause, i) => `    ${i}: ${cause}`).join("\n");
    return `Error: ${this.message}\n\nCaused by:\n${chain}`;
  }
}

/** One `[servers.NAME]` table. */
export interface ServerConfig {
  endpoint: string;
  /** Present when the table has `token` (it wins over `token-file`, like serde's untagged enum). */
  token?: string;
  tokenFile?: string;
}

/** The parsed configuration. */
export interface ConfigData {
  defaultServer: string | null;
  /** In file order; the real client's HashMap order is unspecified. */
  servers: Map<string, ServerConfig>;
}

/**
 * Where the real client looks for its configuration (xdg crate rules: a
 * relative `XDG_CONFIG_HOME` is ignored). Null when neither variable helps.
 */
export function configPath(env: Record<string, string | undefined>): string | null {
  const xdg = env.XDG_CONFIG_HOME;
  if (xdg && xdg.startsWith("/")) return `${xdg}/attic/config.toml`;
  const home = env.HOME;
  if (home && home.startsWith("/")) return `${home}/.config/attic/config.toml`;
  return null;
}

function tomlParseError(reason: string): AtticError {
  return new AtticError(`TOML parse error\n${reason}`);
}

function expectString(table: TomlTable, key: string, where: string): string | undefined {
  const value = table[key];
  if (value === undefined || typeof value === "string") return value;
  const kind = typeof value === "object"
    ? "table"
    : typeof value === "number"
    ? "integer"
    : "boolean";
  throw tomlParseError(`invalid type: ${kind}, expected a string (at ${where}.${key})`);
}

/** Validates the parsed document against the real `ConfigData` schema. */
export function configFromToml(doc: TomlTable): ConfigData {
  const defaultServer = expectString(doc, "default-server", "root") ?? null;
  if (defaultServer !== null && !isValidCacheName(defaultServer)) {
    throw tomlParseError(`Invalid cache name "${defaultServer}"`);
  }
  const servers = new Map<string, ServerConfig>();
  const table = doc.servers;
  if (table !== undefined && typeof table !== "object") {
    throw tomlParseError("invalid type: expected a table (at servers)");
  }
  for (const [name, value] of Object.entries(table ?? {})) {
    if (!isValidCacheName(name)) throw tomlParseError(`Invalid cache name "${name}"`);
    if (typeof value !== "object") {
      throw tomlParseError(`invalid type: expected a table (at servers.${name})`);
    }
    const where = `servers.${name}`;
    const endpoint = expectString(value, "endpoint", where);
    if (endpoint === undefined) throw tomlParseError(`missing field \`endpoint\` (at ${where})`);
    const server: ServerConfig = { endpoint };
    const token = expectString(value, "token", where);
    const tokenFile = expectString(value, "token-file", where);
    if (token !== undefined) server.token = token;
    else if (tokenFile !== undefined) server.tokenFile = tokenFile;
    servers.set(name, server);
  }
  return { defaultServer, servers };
}

/** Loads the configuration; a missing file is an empty configuration, like the real client. */
export function loadConfig(path: string | null): ConfigData {
  if (path === null) return { defaultServer: null, servers: new Map() };
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { defaultServer: null, servers: new Map() };
    throw new AtticError(ioMessage(error));
  }
  try {
    return configFromToml(parseToml(text));
  } catch (error) {
    if (error instanceof TomlError) throw new AtticError(error.message);
    throw error;
  }
}

/** The server and cache a reference names (`ConfigData::resolve_cache`). */
export interface ResolvedCache {
  serverName: string;
  server: ServerConfig;
  cache: string;
}

/** Resolves `cache` or `server:cache` against the configuration. */
export function resolveCache(config: ConfigData, ref: CacheRef): ResolvedCache {
  if (ref.server !== null) {
    const server = config.servers.get(ref.server);
    if (!server) throw new AtticError(`Server "${ref.server}" does not exist`);
    return { serverName: ref.server, server, cache: ref.cache };
  }
  if (config.defaultServer !== null) {
    const server = config.servers.get(config.defaultServer);
    if (!server) {
      throw new AtticError(`Configured default server "${config.defaultServer}" does not exist`);
    }
    return { serverName: config.defaultServer, server, cache: ref.cache };
  }
  const first = config.servers.entries().next();
  if (first.done) throw new AtticError("No servers are available.");
  const [serverName, server] = first.value;
  return { serverName, server, cache: ref.cache };
}

/**
 * Reads the server's token: `token` verbatim, or `token-file` trimmed.
 * Returns null when the server has neither.
 */
export function readToken(server: ServerConfig): string | null {
  if (server.token !== undefined) return server.token;
  if (server.tokenFile === undefined) return null;
  try {
    return Deno.readTextFileSync(server.tokenFile).trim();
  } catch (error) {
    throw new AtticError(`Failed to read token from ${server.tokenFile}`, [ioMessage(error)]);
  }
}

/** Rust's `io::Error` display for the common cases. */
export function ioMessage(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "No such file or directory (os error 2)";
  if (error instanceof Deno.errors.PermissionDenied) return "Permission denied (os error 13)";
  if (error instanceof Deno.errors.IsADirectory) return "Is a directory (os error 21)";
  return error instanceof Error ? error.message : String(error);
}
