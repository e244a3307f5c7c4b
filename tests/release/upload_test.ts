/**
 * The upload to the generic package registry, and the round trip a release
 * makes: compiled files, SHA256SUMS and the signed files that vouch for each
 * helper uploaded under the version, then downloaded, verified and run by the
 * templates' helper step.
 */

import { writeChecksums } from "../../release/compile.ts";
import { signRelease } from "../../release/sign.ts";
import { packageFileUrl, uploadRelease } from "../../release/upload.ts";
import {
  assert,
  assertEquals,
  assertIncludes,
  assertRejects,
  assertThrows,
} from "../helpers/assert.ts";
import { helperStep, runHelperStep } from "../helpers/helper_step.ts";
import { tempDir } from "../helpers/nix.ts";
import { startRegistry } from "../helpers/package_registry.ts";
import { testKey } from "../helpers/signed_release.ts";

const SYSTEM = `${Deno.build.arch}-${Deno.build.os === "darwin" ? "darwin" : "linux"}`;
const OTHER = SYSTEM === "x86_64-linux" ? "aarch64-linux" : "x86_64-linux";

/** Runs `fn` without its console.log lines. */
async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const log = console.log;
  console.log = () => {};
  try {
    return await fn();
  } finally {
    console.log = log;
  }
}

Deno.test("packageFileUrl() builds the registry URL and refuses a version the registry refuses", () => {
  assertEquals(
    packageFileUrl("https://gitlab.example.com/api/v4/", "42", "1.2.3", "SHA256SUMS"),
    "https://gitlab.example.com/api/v4/projects/42/packages/generic/attic-ci/1.2.3/SHA256SUMS",
  );
  assertThrows(() => packageFileUrl("https://x/api/v4", "42", "1..2", "f"), 'without ".."');
  assertThrows(() => packageFileUrl("https://x/api/v4", "42", "a/b", "f"), "[A-Za-z0-9_+.-]");
});

Deno.test("a release compiled, signed and uploaded with the job token is what the helper step downloads, verifies and runs", async () => {
  const dir = await tempDir();
  const registry = startRegistry();
  try {
    const key = await testKey(dir, "attic-ci-test-upload-1");
    const dist = `${dir}/dist`;
    await Deno.mkdir(dist);
    await Deno.writeTextFile(`${dist}/attic-ci-${SYSTEM}`, '#!/bin/sh\necho "attic-ci 2.0.0"\n', {
      mode: 0o755,
    });
    await Deno.writeTextFile(`${dist}/attic-ci-${OTHER}`, "other\n", { mode: 0o755 });
    await writeChecksums(dist);
    await quietly(() => signRelease(dist, "2.0.0", { keyFile: key.secretFile }));
    const urls = await quietly(() =>
      uploadRelease(dist, "2.0.0", {
        apiUrl: registry.apiUrl,
        project: "attic-ci/attic-ci",
        jobToken: "the-job-token",
      })
    );
    // The binaries and NARs first, then the narinfos, SHA256SUMS, and the store paths last:
    // the step reads a store path first, so a half-uploaded version is refused, never half-run.
    assertEquals(urls.map((url) => url.slice(url.lastIndexOf("/") + 1)), [
      `attic-ci-${OTHER}`,
      `attic-ci-${OTHER}.nar`,
      `attic-ci-${SYSTEM}`,
      `attic-ci-${SYSTEM}.nar`,
      `attic-ci-${OTHER}.narinfo`,
      `attic-ci-${SYSTEM}.narinfo`,
      "SHA256SUMS",
      `attic-ci-${OTHER}.storepath`,
      `attic-ci-${SYSTEM}.storepath`,
    ]);
    assert(registry.requests.every((r) => r.method === "PUT" && r.jobToken === "the-job-token"));

    await Deno.mkdir(`${dir}/tmp`);
    await Deno.mkdir(`${dir}/home`);
    const result = await runHelperStep(await helperStep("nix-build"), {
      env: {
        PATH: "/usr/bin:/bin",
        HOME: `${dir}/home`,
        TMPDIR: `${dir}/tmp`,
        CI_JOB_ID: "1",
        CI_API_V4_URL: registry.apiUrl,
        ATTIC_CI_HELPER_PROJECT: "attic-ci/attic-ci",
        ATTIC_CI_HELPER_PUBLIC_KEY: key.publicKey,
        ATTIC_CI_COMPONENT_VERSION: "2.0.0",
      },
    });
    assertEquals(result.code, 0, result.stderr);
    assertIncludes(result.stderr, `verified attic-ci 2.0.0 for ${SYSTEM} from `);
    assertIncludes(result.stderr, `signed by ${key.name}`);
    assertEquals(result.stdout, "attic-ci 2.0.0\n");
  } finally {
    await registry.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an upload without SHA256SUMS, without the files that vouch for a helper, or one the registry refuses, fails saying why", async () => {
  const dir = await tempDir();
  const registry = startRegistry();
  try {
    const dist = `${dir}/dist`;
    await Deno.mkdir(dist);
    const upload = (jobToken: string) =>
      quietly(() =>
        uploadRelease(dist, "1.0.0", { apiUrl: registry.apiUrl, project: "1", jobToken })
      );
    await Deno.writeTextFile(`${dist}/attic-ci-x86_64-linux`, "x", { mode: 0o755 });
    await assertRejects(() => upload("t"), "has no SHA256SUMS: run deno task compile first");
    await writeChecksums(dist);
    await assertRejects(
      () => upload("t"),
      "has attic-ci-x86_64-linux but not attic-ci-x86_64-linux.nar, " +
        "attic-ci-x86_64-linux.narinfo, attic-ci-x86_64-linux.storepath: run deno task " +
        "release:sign first",
    );
    assertEquals(registry.requests, [], "uploaded an unsigned release");
    const key = await testKey(dir, "attic-ci-test-upload-2");
    await quietly(() => signRelease(dist, "1.0.0", { keyFile: key.secretFile }));
    const error = await assertRejects(() => upload(""), "failed: HTTP 401");
    assert(!error.message.includes("JOB-TOKEN"), error.message);
  } finally {
    await registry.close();
    await Deno.remove(dir, { recursive: true });
  }
});
