/**
 * The signing task, with real Nix: every helper of a release signed under
 * `attic-ci-<version>-<system>` into a binary cache, published flat as the
 * files the templates' step verifies, and refused when there is nothing to
 * sign, no usable key, or a key the templates do not trust.
 */

import { runNix } from "../../release/nix_command.ts";
import { main, signRelease } from "../../release/sign.ts";
import { assert, assertEquals, assertIncludes, assertRejects } from "../helpers/assert.ts";
import { ROOT, tempDir } from "../helpers/nix.ts";
import { signedHelper, testKey } from "../helpers/signed_release.ts";

/** Runs `fn` with console output captured. */
async function quietly<T>(fn: () => Promise<T>): Promise<{ value: T; out: string; err: string }> {
  const [log, error] = [console.log, console.error];
  let out = "";
  let err = "";
  console.log = (line: string) => (out += `${line}\n`);
  console.error = (line: string) => (err += `${line}\n`);
  try {
    return { value: await fn(), out, err };
  } finally {
    [console.log, console.error] = [log, error];
  }
}

Deno.test("signRelease() signs every helper in DIR as attic-ci-<version>-<system> and writes its store path, signed narinfo and NAR", async () => {
  const dir = await tempDir();
  try {
    const key = await testKey(dir, "attic-ci-test-sign-1");
    const dist = `${dir}/dist`;
    await Deno.mkdir(dist);
    for (const system of ["x86_64-linux", "aarch64-darwin"]) {
      await Deno.writeTextFile(`${dist}/attic-ci-${system}`, `binary for ${system}\n`, {
        mode: 0o755,
      });
    }
    await Deno.writeTextFile(`${dist}/SHA256SUMS`, "not signed\n");
    const { value: signed, out } = await quietly(() =>
      signRelease(dist, "1.2.3", { keyFile: key.secretFile })
    );
    assertEquals(signed.map((s) => s.system), ["x86_64-linux", "aarch64-darwin"]);
    for (const { system, storePath, files } of signed) {
      assert(
        new RegExp(`^/nix/store/[0-9a-z]{32}-attic-ci-1\\.2\\.3-${system}$`).test(storePath),
        storePath,
      );
      assertEquals(files, [
        `attic-ci-${system}.nar`,
        `attic-ci-${system}.narinfo`,
        `attic-ci-${system}.storepath`,
      ]);
      assertEquals(
        await Deno.readTextFile(`${dist}/attic-ci-${system}.storepath`),
        `${storePath}\n`,
      );
      const narinfo = await Deno.readTextFile(`${dist}/attic-ci-${system}.narinfo`);
      assertIncludes(narinfo, `StorePath: ${storePath}\n`);
      assertIncludes(narinfo, `Sig: ${key.name}:`);
      // The NAR is the binary, as executable: its hash is the one the signature covers.
      const narHash = (await runNix([
        "hash",
        "file",
        "--base32",
        "--type",
        "sha256",
        `${dist}/attic-ci-${system}.nar`,
      ])).trim();
      const binaryHash = (await runNix([
        "hash",
        "path",
        "--base32",
        "--type",
        "sha256",
        `${dist}/attic-ci-${system}`,
      ])).trim();
      assertEquals(narHash, binaryHash);
      assertIncludes(narinfo, `NarHash: sha256:${narHash}\n`);
      assertIncludes(
        out,
        `release:sign: attic-ci-${system} → ${storePath}, signed by ${key.name}\n`,
      );
    }
    assertIncludes(
      out,
      `release:sign: the templates verify these with helper_public_key ${key.publicKey}\n`,
    );
    // The binary cache it signed into is there too (for nix copy --from), and nothing else.
    assertEquals(await Deno.readTextFile(`${dist}/cache/nix-cache-info`), "StoreDir: /nix/store\n");
    assertEquals(await Deno.readTextFile(`${dist}/SHA256SUMS`), "not signed\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("signRelease() refuses a directory without helpers, a file that is no secret key, a version the registry refuses, and a key the templates do not trust", async () => {
  const dir = await tempDir();
  try {
    const key = await testKey(dir, "attic-ci-test-sign-2");
    const dist = `${dir}/dist`;
    await Deno.mkdir(dist);
    await assertRejects(
      () => signRelease(dist, "1.0.0", { keyFile: key.secretFile }),
      "has no attic-ci-<system> helper to sign: run deno task compile first",
    );
    await Deno.writeTextFile(`${dist}/attic-ci-x86_64-linux`, "x", { mode: 0o755 });
    await assertRejects(
      () => signRelease(dist, "1.0.0", { keyFile: `${dir}/missing.sec` }),
      `cannot read the secret key ${dir}/missing.sec`,
    );
    await Deno.writeTextFile(`${dir}/public.sec`, key.publicKey);
    await assertRejects(
      () => signRelease(dist, "1.0.0", { keyFile: `${dir}/public.sec` }),
      "is not a Nix secret key (make one with nix key generate-secret)",
    );
    await assertRejects(
      () => signRelease(dist, "1..0", { keyFile: key.secretFile }),
      'expected [A-Za-z0-9_+.-] without ".."',
    );
    await assertRejects(
      () =>
        signRelease(dist, "1.0.0", {
          keyFile: key.secretFile,
          expectPublicKey: "attic-ci-release-1:oKbQXYYGWFeXHuQNiMwyQbe4Qe9mmMrQD1sGbaV9Lxc=",
        }),
      `is the key ${key.publicKey}, but the templates trust attic-ci-release-1:`,
    );
    assertEquals([...Deno.readDirSync(dist)].map((e) => e.name), ["attic-ci-x86_64-linux"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task release:sign --check-templates signs only with the key the templates trust, and says so in one line", async () => {
  const dir = await tempDir();
  try {
    const key = await testKey(dir, "attic-ci-test-sign-3");
    await Deno.writeTextFile(`${dir}/attic-ci-x86_64-linux`, "x", { mode: 0o755 });
    const usage = await quietly(() => main([dir, "1.0.0"], ROOT));
    assertEquals(usage.value, 2);
    assertIncludes(usage.err, "--key-file FILE");
    assertIncludes(usage.err, "ATTIC_CI_RELEASE_SIGNING_KEY");

    const wrong = await quietly(() =>
      main([dir, "1.0.0", "--key-file", key.secretFile, "--check-templates"], ROOT)
    );
    assertEquals(wrong.value, 1);
    assertEquals(wrong.err.split("\n").length, 2, wrong.err);
    assertIncludes(wrong.err, "release:sign: ");
    assertIncludes(wrong.err, "rotate with deno task release:key");

    const any = await quietly(() => main([dir, "1.0.0", "--key-file", key.secretFile], ROOT));
    assertEquals(any.value, 0, any.err);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("this machine's Nix trusts a content-addressed narinfo without any signature, which is why the step keeps only the signed fields", async () => {
  const dir = await tempDir();
  try {
    const key = await testKey(dir, "attic-ci-test-sign-4");
    const files = await signedHelper(dir, {
      body: "#!/bin/sh\necho unsigned\n",
      version: "6.6.6",
      system: "x86_64-linux",
      key: null,
    });
    const narinfo = new TextDecoder().decode(files.get("attic-ci-x86_64-linux.narinfo")!);
    assert(!narinfo.includes("Sig: "), narinfo);
    assertIncludes(narinfo, "CA: fixed:r:sha256:");
    const path = /^StorePath: (\S+)$/m.exec(narinfo)![1]!;
    const hash = path.slice("/nix/store/".length, "/nix/store/".length + 32);
    const verify = async (info: string) => {
      const cache = await Deno.makeTempDir({ dir });
      await Deno.mkdir(`${cache}/nar`);
      await Deno.writeTextFile(`${cache}/nix-cache-info`, "StoreDir: /nix/store\n");
      await Deno.writeFile(`${cache}/nar/h.nar`, files.get("attic-ci-x86_64-linux.nar")!);
      await Deno.writeTextFile(
        `${cache}/${hash}.narinfo`,
        info.replace(/^URL: .*$/m, "URL: nar/h.nar").replace(/^Compression: .*$/m, ""),
      );
      return await runNix([
        "store",
        "verify",
        "--store",
        `file://${cache}`,
        "--sigs-needed",
        "1",
        "--option",
        "trusted-public-keys",
        key.publicKey,
        path,
      ]).then(() => "trusted", (error) => String(error));
    };
    assertEquals(await verify(narinfo + "Compression: none\n"), "trusted");
    const signedOnly = narinfo.split("\n").filter((l) => !l.startsWith("CA: ")).join("\n");
    assertIncludes(await verify(signedOnly + "Compression: none\n"), "(exit 2)");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
