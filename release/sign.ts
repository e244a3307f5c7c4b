/**
 * `deno task release:sign DIR VERSION --key-file FILE [--check-templates]`:
 * makes every helper in DIR verifiable by the templates' helper step. Each
 * `attic-ci-<system>` is added to the Nix store as
 * `attic-ci-<VERSION>-<system>` and copied, signed with FILE's key, into a
 * binary cache (`DIR/cache`); then, published flat (the registry allows no
 * slashes in file names):
 *
 * - `attic-ci-<system>.storepath`: the store path;
 * - `attic-ci-<system>.narinfo`: its signed narinfo (store path, NAR hash and
 *   size, `Sig:`);
 * - `attic-ci-<system>.nar`: the NAR holding the binary.
 *
 * Each signature is checked the way the step checks it before the task
 * returns. `--check-templates` also requires the key to be the one the
 * templates trust by default (`helper_public_key`): a release must never ship
 * templates that refuse its own helpers.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { runNix } from "./nix_command.ts";
import {
  helperStoreName,
  RELEASE_TARGETS,
  releaseFile,
  SIGNING_KEY_VARIABLE,
  vouchingFile,
} from "./targets.ts";
import { templateKey } from "./template_key.ts";

/** Options of {@linkcode signRelease}. */
export interface SignOptions {
  /** The Nix secret key file (`nix key generate-secret`). */
  readonly keyFile: string;
  /** The public key the signatures must verify with; null: whatever `keyFile` is. @default null */
  readonly expectPublicKey?: string | null;
  /** The `nix` program. @default "nix" */
  readonly nix?: string;
}

/** One signed helper. */
export interface SignedHelper {
  /** Nix system name, e.g. `x86_64-linux`. */
  readonly system: string;
  /** The store path it is signed under, `/nix/store/<hash>-attic-ci-<version>-<system>`. */
  readonly storePath: string;
  /** The files written next to it, by name. */
  readonly files: readonly string[];
}

/** What the registry and Nix store path names both accept as a version. */
const VERSION = /^[\w+.-]+$/;

/** The narinfo fields a signature covers, as the step keeps them. */
const SIGNED_FIELDS = /^(StorePath|NarHash|NarSize|References|Sig): /;

/**
 * Signs the helpers in `dir` for `version`; returns what it signed. Throws
 * when there is nothing to sign, the key cannot be read, or a signature does
 * not verify.
 *
 * @example
 * ```ts
 * await signRelease("dist", "1.2.3", { keyFile: "/run/secrets/release.sec" });
 * ```
 */
export async function signRelease(
  dir: string,
  version: string,
  options: SignOptions,
): Promise<SignedHelper[]> {
  if (!VERSION.test(version) || version.includes("..")) {
    throw new RangeError(
      `Cannot sign version ${JSON.stringify(version)}: expected [A-Za-z0-9_+.-] without ".."`,
    );
  }
  const nix = { nix: options.nix ?? "nix" };
  const publicKey = await publicKeyOf(options.keyFile, nix);
  const expected = options.expectPublicKey ?? null;
  if (expected !== null && expected !== publicKey) {
    throw new Error(
      `${options.keyFile} is the key ${publicKey}, but the templates trust ${expected}: ` +
        "sign with the key the templates name, or rotate with deno task release:key",
    );
  }
  const root = await Deno.realPath(dir);
  const keyFile = await Deno.realPath(options.keyFile);
  const systems: string[] = [];
  for (const { system } of RELEASE_TARGETS) {
    if (await isFile(`${root}/${releaseFile(system)}`)) systems.push(system);
  }
  if (systems.length === 0) {
    throw new Error(`${dir} has no attic-ci-<system> helper to sign: run deno task compile first`);
  }
  // A fresh cache: nix copy skips a path a cache already holds, and would not sign it again.
  const cache = `${root}/cache`;
  await Deno.remove(cache, { recursive: true }).catch(() => {});
  const signed: SignedHelper[] = [];
  for (const system of systems) {
    const storePath = (await runNix([
      "store",
      "add-path",
      "--name",
      helperStoreName(version, system),
      `${root}/${releaseFile(system)}`,
    ], nix)).trim();
    await runNix([
      "copy",
      "--to",
      `file://${cache}?secret-key=${keyFile}&compression=none`,
      storePath,
    ], nix);
    const hash = storePath.slice(storePath.lastIndexOf("/") + 1).split("-")[0]!;
    const narinfo = await Deno.readTextFile(`${cache}/${hash}.narinfo`);
    const narUrl = /^URL: (\S+)$/m.exec(narinfo)?.[1];
    if (narUrl === undefined) throw new Error(`${cache}/${hash}.narinfo names no NAR`);
    const files = {
      storepath: vouchingFile(system, "storepath"),
      narinfo: vouchingFile(system, "narinfo"),
      nar: vouchingFile(system, "nar"),
    };
    await Deno.copyFile(`${cache}/${narUrl}`, `${root}/${files.nar}`);
    await Deno.writeTextFile(`${root}/${files.narinfo}`, narinfo);
    await Deno.writeTextFile(`${root}/${files.storepath}`, `${storePath}\n`);
    await verifyAsTheStepDoes(storePath, narinfo, `${root}/${files.nar}`, publicKey, nix);
    console.log(
      `release:sign: ${releaseFile(system)} → ${storePath}, signed by ${
        publicKey.slice(0, publicKey.indexOf(":"))
      }`,
    );
    signed.push({ system, storePath, files: [files.nar, files.narinfo, files.storepath] });
  }
  console.log(`release:sign: the templates verify these with helper_public_key ${publicKey}`);
  return signed;
}

/** The public half of a secret key file. */
async function publicKeyOf(keyFile: string, nix: { nix: string }): Promise<string> {
  let secret: string;
  try {
    secret = await Deno.readTextFile(keyFile);
  } catch (error) {
    throw new Error(
      `cannot read the secret key ${keyFile}: ${error instanceof Error ? error.message : error}`,
    );
  }
  try {
    return (await runNix(["key", "convert-secret-to-public"], { ...nix, stdin: secret.trim() }))
      .trim();
  } catch {
    throw new Error(`${keyFile} is not a Nix secret key (make one with nix key generate-secret)`);
  }
}

/**
 * Verifies a signed helper exactly as the templates' step will: only the
 * narinfo fields the signature covers (Nix trusts a content-addressed path
 * without any signature, so the `CA:` line goes), the NAR checked against
 * them, and no key trusted but `publicKey`.
 */
async function verifyAsTheStepDoes(
  storePath: string,
  narinfo: string,
  nar: string,
  publicKey: string,
  nix: { nix: string },
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "attic-ci-sign-" });
  try {
    const hash = storePath.slice(storePath.lastIndexOf("/") + 1).split("-")[0]!;
    await Deno.mkdir(`${dir}/nar`);
    await Deno.writeTextFile(`${dir}/nix-cache-info`, "StoreDir: /nix/store\n");
    const kept = narinfo.split("\n").filter((line) => SIGNED_FIELDS.test(line));
    await Deno.writeTextFile(
      `${dir}/${hash}.narinfo`,
      [...kept, "URL: nar/helper.nar", "Compression: none", ""].join("\n"),
    );
    await Deno.copyFile(nar, `${dir}/nar/helper.nar`);
    await runNix([
      "store",
      "verify",
      "--store",
      `file://${dir}`,
      "--sigs-needed",
      "1",
      "--option",
      "trusted-public-keys",
      publicKey,
      "--option",
      "secret-key-files",
      "",
      storePath,
    ], nix);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function isFile(path: string): Promise<boolean> {
  return await Deno.stat(path).then((s) => s.isFile, () => false);
}

/** Runs the task; returns the exit code. */
export async function main(args: string[], root: string): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { "key-file": { type: "string" }, "check-templates": { type: "boolean" } },
  });
  const [dir, version] = positionals;
  if (dir === undefined || version === undefined || !values["key-file"]) {
    console.error(
      "release:sign: usage: deno task release:sign DIR VERSION --key-file FILE " +
        "[--check-templates]" +
        ` (in the release pipeline, FILE is the File-type variable ${SIGNING_KEY_VARIABLE})`,
    );
    return 2;
  }
  try {
    await signRelease(dir, version, {
      keyFile: values["key-file"],
      expectPublicKey: values["check-templates"] ? await templateKey(root) : null,
    });
    return 0;
  } catch (error) {
    console.error(`release:sign: ${error instanceof Error ? error.message : error}`);
    return 1;
  }
}

if (import.meta.main) {
  Deno.exitCode = await main(Deno.args, new URL("..", import.meta.url).pathname);
}
