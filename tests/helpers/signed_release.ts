/**
 * Signed helper releases for the helper step's tests, made with real Nix:
 * throwaway key pairs (`nix key generate-secret`), helpers signed by the
 * release task itself (`release/sign.ts`), and, for the attacks the step must
 * refuse, an unsigned content-addressed copy.
 *
 * @module
 */

import { runNix } from "../../release/nix_command.ts";
import { signRelease } from "../../release/sign.ts";
import { releaseFile, vouchingFile } from "../../release/targets.ts";

/** A throwaway Nix key pair. */
export interface TestKey {
  /** The key's name, what Nix writes before each signature. */
  readonly name: string;
  /** The secret key file. */
  readonly secretFile: string;
  /** `NAME:BASE64`, what `helper_public_key` takes. */
  readonly publicKey: string;
}

/** Generates a key pair named `name`, its secret in `dir`. */
export async function testKey(dir: string, name: string): Promise<TestKey> {
  const secret = (await runNix(["key", "generate-secret", "--key-name", name])).trim();
  const secretFile = `${dir}/${name}.sec`;
  await Deno.writeTextFile(secretFile, secret, { mode: 0o600 });
  const publicKey = (await runNix(["key", "convert-secret-to-public"], { stdin: secret })).trim();
  return { name, secretFile, publicKey };
}

/** The files a release publishes for one helper, by their release file names. */
export type ReleaseFiles = Map<string, Uint8Array>;

/** What {@linkcode signedHelper} signs. */
export interface HelperToSign {
  /** The helper's bytes. */
  readonly body: string | Uint8Array;
  /** The version in its store path name. */
  readonly version: string;
  /** The system in its store path name (and in the file names). */
  readonly system: string;
  /** The key to sign with; null: no signature, a content-addressed narinfo only. */
  readonly key: TestKey | null;
}

/**
 * The binary, store path, narinfo and NAR of a helper signed as the release
 * pipeline signs it (or copied unsigned), by release file name.
 */
export async function signedHelper(dir: string, helper: HelperToSign): Promise<ReleaseFiles> {
  const dist = await Deno.makeTempDir({ dir, prefix: "dist-" });
  const binary = releaseFile(helper.system);
  const body = typeof helper.body === "string"
    ? new TextEncoder().encode(helper.body)
    : helper.body;
  await Deno.writeFile(`${dist}/${binary}`, body, { mode: 0o755 });
  if (helper.key !== null) {
    const log = console.log;
    console.log = () => {};
    try {
      await signRelease(dist, helper.version, { keyFile: helper.key.secretFile });
    } finally {
      console.log = log;
    }
  } else {
    await unsignedCopy(dist, helper.version, helper.system);
  }
  const files: ReleaseFiles = new Map();
  for (
    const name of [
      binary,
      ...(["storepath", "narinfo", "nar"] as const).map((kind) =>
        vouchingFile(helper.system, kind)
      ),
    ]
  ) {
    files.set(name, await Deno.readFile(`${dist}/${name}`));
  }
  return files;
}

/**
 * What an attacker who controls a mirror can publish without the key: the
 * helper added to a store under the expected name and copied to a binary
 * cache unsigned. Its narinfo carries a `CA:` line, which Nix accepts as
 * proof of the path without any signature unless the step drops it.
 */
async function unsignedCopy(dist: string, version: string, system: string): Promise<void> {
  const storePath = (await runNix([
    "store",
    "add-path",
    "--name",
    `attic-ci-${version}-${system}`,
    `${dist}/${releaseFile(system)}`,
  ])).trim();
  await runNix(["copy", "--to", `file://${dist}/cache?compression=none`, storePath]);
  const hash = storePath.slice(storePath.lastIndexOf("/") + 1).split("-")[0]!;
  const narinfo = await Deno.readTextFile(`${dist}/cache/${hash}.narinfo`);
  const nar = /^URL: (\S+)$/m.exec(narinfo)![1]!;
  await Deno.copyFile(`${dist}/cache/${nar}`, `${dist}/${vouchingFile(system, "nar")}`);
  await Deno.writeTextFile(`${dist}/${vouchingFile(system, "narinfo")}`, narinfo);
  await Deno.writeTextFile(`${dist}/${vouchingFile(system, "storepath")}`, `${storePath}\n`);
}
