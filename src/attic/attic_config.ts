/**
 * The attic client's configuration, written by us instead of `attic login`
 * (which takes the token as an argument, visible in /proc). The token goes to
 * a 0600 file in the private state directory; `config.toml` names it with
 * `token-file`; only the attic children get `XDG_CONFIG_HOME` pointing there.
 *
 * @module
 */

import { type StateFiles, writePrivateFile } from "../state/state_dir.ts";

/** The server name used in the generated config and in `attic push <server>:<cache>`. */
export const ATTIC_SERVER_NAME = "attic-ci";

/** A server endpoint as attic wants it: with a trailing slash (endpoints are joined). */
export function normalizeEndpoint(server: string): string {
  return server.endsWith("/") ? server : `${server}/`;
}

/** Quotes a TOML basic string. */
function tomlString(value: string): string {
  return JSON.stringify(value);
}

/** The text of `config.toml` for one server using a token file. */
export function atticConfigToml(endpoint: string, tokenFile: string): string {
  return [
    `default-server = ${tomlString(ATTIC_SERVER_NAME)}`,
    "",
    `[servers.${ATTIC_SERVER_NAME}]`,
    `endpoint = ${tomlString(normalizeEndpoint(endpoint))}`,
    `token-file = ${tomlString(tokenFile)}`,
    "",
  ].join("\n");
}

/**
 * Writes the token file and `config.toml` (0600, in 0700 directories).
 * Returns the `XDG_CONFIG_HOME` to give the attic children.
 */
export async function writeAtticConfig(
  files: StateFiles,
  endpoint: string,
  token: string,
): Promise<string> {
  await writePrivateFile(files.token, token);
  const dir = `${files.atticConfigHome}/attic`;
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  await Deno.chmod(files.atticConfigHome, 0o700);
  await Deno.chmod(dir, 0o700);
  await writePrivateFile(`${dir}/config.toml`, atticConfigToml(endpoint, files.token));
  return files.atticConfigHome;
}
