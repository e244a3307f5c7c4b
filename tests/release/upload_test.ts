/**
 * The upload to the generic package registry, and the round trip a release
 * makes: compiled files and SHA256SUMS uploaded under the version, then
 * downloaded and verified by the templates' helper step.
 */

import { writeChecksums } from "../../release/compile.ts";
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

const SYSTEM = `${Deno.build.arch}-${Deno.build.os === "darwin" ? "darwin" : "linux"}`;

Deno.test("packageFileUrl() builds the registry URL and refuses a version the registry refuses", () => {
  assertEquals(
    packageFileUrl("https://gitlab.example.com/api/v4/", "42", "1.2.3", "SHA256SUMS"),
    "https://gitlab.example.com/api/v4/projects/42/packages/generic/attic-ci/1.2.3/SHA256SUMS",
  );
  assertThrows(() => packageFileUrl("https://x/api/v4", "42", "1..2", "f"), 'without ".."');
  assertThrows(() => packageFileUrl("https://x/api/v4", "42", "a/b", "f"), "[A-Za-z0-9_+.-]");
});

Deno.test("a release uploaded with the job token is what the helper step downloads and verifies", async () => {
  const dir = await tempDir();
  const registry = startRegistry();
  try {
    const dist = `${dir}/dist`;
    await Deno.mkdir(dist);
    await Deno.writeTextFile(`${dist}/attic-ci-${SYSTEM}`, '#!/bin/sh\necho "attic-ci 2.0.0"\n', {
      mode: 0o755,
    });
    await Deno.writeTextFile(`${dist}/attic-ci-some-other-system`, "other\n");
    await writeChecksums(dist);
    const urls = await uploadRelease(dist, "2.0.0", {
      apiUrl: registry.apiUrl,
      project: "attic-ci/attic-ci",
      jobToken: "the-job-token",
    });
    assertEquals(urls.length, 3);
    assert(urls.at(-1)!.endsWith("/2.0.0/SHA256SUMS"), "SHA256SUMS must go last");
    assert(registry.requests.every((r) => r.method === "PUT" && r.jobToken === "the-job-token"));

    await Deno.mkdir(`${dir}/tmp`);
    const result = await runHelperStep(await helperStep("nix-build"), {
      env: {
        PATH: "/usr/bin:/bin",
        TMPDIR: `${dir}/tmp`,
        CI_JOB_ID: "1",
        CI_API_V4_URL: registry.apiUrl,
        ATTIC_CI_HELPER_PROJECT: "attic-ci/attic-ci",
        ATTIC_CI_COMPONENT_VERSION: "2.0.0",
      },
    });
    assertEquals(result.code, 0, result.stderr);
    assertIncludes(result.stdout, `verified attic-ci-${SYSTEM} 2.0.0`);
    assertIncludes(result.stdout, "attic-ci 2.0.0\n");
  } finally {
    await registry.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an upload without SHA256SUMS, or one the registry refuses, fails saying why", async () => {
  const dir = await tempDir();
  const registry = startRegistry();
  try {
    await Deno.writeTextFile(`${dir}/attic-ci-x86_64-linux`, "x");
    await assertRejects(
      () => uploadRelease(dir, "1.0.0", { apiUrl: registry.apiUrl, project: "1", jobToken: "t" }),
      "has no SHA256SUMS: run deno task compile first",
    );
    await writeChecksums(dir);
    const error = await assertRejects(
      () => uploadRelease(dir, "1.0.0", { apiUrl: registry.apiUrl, project: "1", jobToken: "" }),
      "failed: HTTP 401",
    );
    assert(!error.message.includes("JOB-TOKEN"), error.message);
  } finally {
    await registry.close();
    await Deno.remove(dir, { recursive: true });
  }
});
