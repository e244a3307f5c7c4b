/**
 * `deno task release:key --secret-out FILE [--name NAME]`: rotates the
 * release key. Generates a Nix key pair (`nix key generate-secret`), writes
 * the secret half to FILE (mode 0600; never over an existing file, never into
 * the repository unless git ignores it) and makes the public half the default
 * `helper_public_key` of every template at once (and of the README's inputs
 * table), so the templates never disagree. NAME defaults to the current key's
 * name with its number raised (`attic-ci-release-1` → `attic-ci-release-2`).
 * The maintainer then stores FILE's content as the File-type CI/CD variable
 * the release pipeline signs with, deletes FILE, commits and releases
 * (docs/releasing.md).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { runNix } from "./nix_command.ts";
import { SIGNING_KEY_VARIABLE } from "./targets.ts";
import { replaceTemplateKey, templateKey } from "./template_key.ts";

/** Options of {@linkcode rotateKey}. */
export interface RotateOptions {
  /** Where to write the new secret key; must not exist. */
  readonly secretOut: string;
  /** The new key's name. @default nextKeyName(the current one) */
  readonly name?: string;
  /** The `nix` program. @default "nix" */
  readonly nix?: string;
}

/** What a rotation did. */
export interface Rotation {
  /** The key the templates trusted. */
  readonly previous: string;
  /** The key they trust now (`NAME:BASE64`). */
  readonly publicKey: string;
  /** The files it changed, relative to the repository. */
  readonly changed: readonly string[];
}

/**
 * The name of the key after `current`'s: its trailing number raised by one,
 * else `-2` appended.
 *
 * @example
 * ```ts
 * nextKeyName("attic-ci-release-1:…="); // "attic-ci-release-2"
 * ```
 */
export function nextKeyName(current: string): string {
  const name = current.includes(":") ? current.slice(0, current.indexOf(":")) : current;
  const match = /^(.*?)(\d+)$/.exec(name);
  return match ? `${match[1]}${Number(match[2]) + 1}` : `${name}-2`;
}

/**
 * Generates a key pair, writes the secret to `options.secretOut`, and makes
 * the public half the templates' default. Throws (writing nothing) when the
 * file exists or would be committed, or the templates disagree.
 */
export async function rotateKey(root: string, options: RotateOptions): Promise<Rotation> {
  const previous = await templateKey(root);
  const name = options.name ?? nextKeyName(previous);
  if (!/^[^:\s]+$/.test(name)) throw new RangeError(`Cannot name a key ${JSON.stringify(name)}`);
  await refuseCommittable(root, options.secretOut);
  const nix = { nix: options.nix ?? "nix" };
  const secret = (await runNix(["key", "generate-secret", "--key-name", name], nix)).trim();
  const publicKey = (await runNix(["key", "convert-secret-to-public"], { ...nix, stdin: secret }))
    .trim();
  await Deno.writeTextFile(options.secretOut, secret, { createNew: true, mode: 0o600 });
  const changed = await replaceTemplateKey(root, previous, publicKey);
  return { previous, publicKey, changed };
}

/**
 * Throws when `file` exists, or lies in the git repository at `root` where
 * git does not ignore it.
 */
async function refuseCommittable(root: string, file: string): Promise<void> {
  if (await Deno.lstat(file).then(() => true, () => false)) {
    throw new Error(`${file} exists: name a new file for the secret key`);
  }
  const parent = file.includes("/") ? file.slice(0, file.lastIndexOf("/")) || "/" : ".";
  const where = await Deno.realPath(parent);
  const repository = await Deno.realPath(root);
  if (where !== repository && !where.startsWith(`${repository}/`)) return;
  const check = await new Deno.Command("git", {
    args: ["check-ignore", "-q", `${where}/${file.slice(file.lastIndexOf("/") + 1)}`],
    cwd: repository,
    stdout: "null",
    stderr: "null",
  }).output().catch(() => null);
  // 0: ignored; 1: git would commit it; anything else: not a git repository (or no git).
  if (check?.code === 1) {
    throw new Error(
      `${file} is in the repository and git does not ignore it: write the secret key outside ` +
        "the repository (or under .scratch/), so it is never committed",
    );
  }
}

/** Runs the task; returns the exit code. */
export async function main(args: string[], root: string): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { "secret-out": { type: "string" }, name: { type: "string" } },
  });
  if (!values["secret-out"]) {
    console.error("release:key: usage: deno task release:key --secret-out FILE [--name NAME]");
    return 2;
  }
  try {
    const rotation = await rotateKey(root, {
      secretOut: values["secret-out"],
      ...(values.name ? { name: values.name } : {}),
    });
    // A name of another length widens the README's table: lay it out again.
    const markdown = rotation.changed.filter((file) => file.endsWith(".md"));
    if (markdown.length > 0) {
      await new Deno.Command(Deno.execPath(), { args: ["fmt", "--quiet", ...markdown], cwd: root })
        .output();
    }
    console.log(
      `release:key: the templates now trust ${rotation.publicKey} (was ${rotation.previous}); ` +
        `changed ${rotation.changed.join(", ")}.\n` +
        `release:key: the secret key is in ${values["secret-out"]}: store its content as the ` +
        `protected, masked File-type CI/CD variable ${SIGNING_KEY_VARIABLE}, delete the file, ` +
        "then commit and release (docs/releasing.md)",
    );
    return 0;
  } catch (error) {
    console.error(`release:key: ${error instanceof Error ? error.message : error}`);
    return 1;
  }
}

if (import.meta.main) {
  Deno.exitCode = await main(Deno.args, new URL("..", import.meta.url).pathname);
}
