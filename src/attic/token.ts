/**
 * Reading the attic token from the CI variable the user named: the value
 * itself (a masked variable) or, for a GitLab File-type variable, the path of
 * a file holding it. Errors name the variable, never its value.
 *
 * @module
 */

import { ConfigError } from "../errors.ts";

/**
 * The token held by the variable `variable` (or by the file it points to), or
 * null when the variable is unset or empty: protected variables (GitLab's
 * default) are absent in pipelines of unprotected branches and of merge
 * requests from forks, where the build must still run (see
 * {@linkcode NO_TOKEN}). Throws {@linkcode ConfigError} naming the variable
 * when it names a token file that cannot be read or is empty: that is a
 * mistake, not an absence.
 */
export async function readToken(
  variable: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<string | null> {
  const option = `--token-variable (${variable})`;
  const value = env[variable];
  if (value === undefined || value.trim().length === 0) return null;
  // A File-type variable holds a path; a token never starts with "/".
  if (value.startsWith("/")) {
    let text: string;
    try {
      text = await Deno.readTextFile(value);
    } catch (error) {
      const why = error instanceof Deno.errors.NotFound
        ? "does not exist"
        : error instanceof Deno.errors.PermissionDenied
        ? "is not readable"
        : "cannot be read";
      throw new ConfigError(
        option,
        `the variable ${variable} names a token file that ${why}`,
        "check the File-type variable's value",
      );
    }
    const token = text.trim();
    if (token.length === 0) {
      throw new ConfigError(option, `the token file named by ${variable} is empty`);
    }
    return token;
  }
  return value.trim();
}

/** Why there is no token, for the one line that says pushing is off. */
export function noTokenReason(
  variable: string,
  env: Readonly<Record<string, string | undefined>>,
): string {
  return `the variable ${variable} is ${env[variable] === undefined ? "not set" : "empty"}`;
}

/**
 * What a missing token means, in the log and the error under `--strict`:
 * where it usually comes from and what to do.
 */
export const NO_TOKEN = {
  /** Why a token can be missing in GitLab although the project defines it. */
  why: "protected CI/CD variables are absent in pipelines of unprotected branches and of " +
    "merge requests from forks",
  /** How to get one. */
  fix: (variable: string) =>
    `define a masked CI/CD variable ${variable} with the attic token (unprotected, or run on a ` +
    `protected branch), or name another with --token-variable`,
} as const;

/**
 * The token from the 0600 file the session wrote in its state directory: how
 * the detached watcher, which never sees the token variable, gets it.
 */
export async function readTokenFile(file: string): Promise<string> {
  try {
    const token = (await Deno.readTextFile(file)).trim();
    if (token.length > 0) return token;
  } catch { /* said below */ }
  throw new ConfigError(
    "--state-dir",
    `the session's token file ${file} is missing or empty`,
    "run `attic-ci start` again (it writes the file)",
  );
}
