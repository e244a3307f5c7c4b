/**
 * The closed loop, as a new user gets it: the `nix-build` component with
 * default inputs plus cache, server and token, against the Attic test server
 * (a private cache with a fresh signing key), on a Nix configured like the
 * nixos/nix image's (no experimental features, signatures required, no
 * substituter) and no `attic` anywhere. Nothing is passed to Nix by hand:
 * every pipeline reads the cache the previous one filled.
 */

import { assert, assertEquals, assertIncludes } from "../helpers/assert.ts";
import {
  type ComponentProject,
  componentProject,
  selfInclude,
} from "../helpers/gitlab_ci_local.ts";
import { cachedPaths, deleteStorePathsOf, ROOT, storePathsOf } from "../helpers/nix.ts";
import { type AtticServer, startAtticServer } from "../attic_server/server.ts";
import { signToken } from "../attic_server/tokens.ts";
import { hashOf } from "../helpers/attic_api.ts";
import { randomSecret } from "../helpers/attic.ts";

/** The attic double's invocation log under `root`. */
async function readInvocations(root: string): Promise<{ argv: string[] }[]> {
  const text = await Deno.readTextFile(`${root}/invocations.jsonl`).catch(() => "");
  return text.split("\n").filter((l) => l.length > 0).map((l) => JSON.parse(l));
}

/** The Attic test server with one cache, and tokens for it. */
interface Cache {
  readonly server: AtticServer;
  /** Pull and push on `main`. */
  readonly token: string;
  /** Pull only. */
  readonly pullToken: string;
  close(): Promise<void>;
}

async function attic(dir: string, options: { public?: boolean } = {}): Promise<Cache> {
  const secret = randomSecret();
  const server = await startAtticServer({
    secret,
    caches: { main: { public: options.public ?? false } },
    dir,
  });
  return {
    server,
    token: await signToken(secret, { main: { r: 1, w: 1 } }),
    pullToken: await signToken(secret, { main: { r: 1 } }),
    close: () => server.close(),
  };
}

function nixBuild(server: string, inputs: string): string {
  return `include:
  - component: ${selfInclude("nix-build")}
    inputs:
      cache: main
      server: ${server}
${inputs}`;
}

/** What a job's Nix did, from its own lines in the log: paths substituted, names built. */
function nixDid(log: string): { substituted: string[]; built: string[] } {
  const substituted = [...log.matchAll(/^copying path '(\/nix\/store\/[^']+)' from 'http/gm)]
    .map((m) => m[1]!);
  const built = [...log.matchAll(/^building '\/nix\/store\/[a-z0-9]{32}-([^']+)\.drv'/gm)]
    .map((m) => m[1]!);
  return { substituted: substituted.sort(), built: built.sort() };
}

/** The name of a store path (without its hash). */
function nameOf(path: string): string {
  return path.slice("/nix/store/".length + 33);
}

/** Every file under `dirs` that holds `secret`. */
async function filesHolding(secret: string, dirs: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for await (const entry of Deno.readDir(dir)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (entry.isFile && (await Deno.readTextFile(path).catch(() => "")).includes(secret)) {
        found.push(path);
      }
    }
  };
  for (const dir of dirs) await walk(dir).catch(() => {});
  return found;
}

/** The Nix configuration a job could have changed: the user's, and the system's. */
async function nixConfiguration(project: ComponentProject): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const dir of [`${project.home}/.config/nix`, project.nixConfDir!, "/etc/nix"]) {
    try {
      for await (const entry of Deno.readDir(dir)) {
        files[`${dir}/${entry.name}`] = await Deno.readTextFile(`${dir}/${entry.name}`);
      }
    } catch { /* absent: recorded as such by its absence */ }
  }
  return files;
}

/** After a job: no file of the runner's TMPDIR or HOME holds the token; Nix's settings as before. */
async function assertNothingLeft(
  project: ComponentProject,
  token: string,
  before: Record<string, string>,
): Promise<void> {
  assertEquals(await filesHolding(token, [project.tmp, project.home]), [], "files hold the token");
  assertEquals(await nixConfiguration(project), before, "the job changed Nix's configuration");
}

Deno.test("pipeline 2 resumes where pipeline 1 failed: it substitutes everything pipeline 1 pushed, signatures checked, and builds the rest; a deploy job with the use mixin then realises it all with --max-jobs 0", async () => {
  const project = await componentProject({
    pipeline: "",
    double: false,
    nix: "image",
  });
  const cache = await attic(project.scratch);
  try {
    const url = cache.server.url;
    const tag = `${project.world.tag}-f`;
    const env = { ATTIC_TOKEN: cache.token };
    const before = await nixConfiguration(project);
    const run = async (pipeline: string, report: string, more: Record<string, string> = {}) => {
      await Deno.writeTextFile(`${project.dir}/.gitlab-ci.yml`, pipeline);
      return await project.run(["--variable", `ATTIC_CI_REPORT=${project.scratch}/${report}`], {
        env: { ...env, ...more },
      });
    };

    // Pipeline 1: the build fails halfway; what it finished is on the server.
    const first = await run(nixBuild(url, `      installables: [".#failing"]\n`), "first.json");
    assert(first.code !== 0, `the failing build passed:\n${first.output}`);
    const log1 = await project.jobLog("nix-build");
    assertIncludes(log1, "demo: l2n1 fails on purpose");
    assertIncludes(log1, `pulling from ${url}main (signatures by main-`);
    assertIncludes(log1, "attic client: built-in");
    const finished = (await storePathsOf(tag)).valid;
    assert(finished.length >= 6, `only ${finished.length} paths finished`);
    const stored = new Set(cache.server.stored("main"));
    for (const path of finished) assert(stored.has(hashOf(path)), `${path} is not on the server`);
    await assertNothingLeft(project, cache.token, before);

    // A new runner: the outputs are gone; HOME (and Nix's narinfo cache in it) stays.
    await deleteStorePathsOf(tag);
    const narinfoCache = [...Deno.readDirSync(`${project.home}/.cache/nix`)].map((e) => e.name);
    assert(
      narinfoCache.some((name) => name.startsWith("binary-cache")),
      "Nix remembered pipeline 1's misses in HOME",
    );

    // Pipeline 2, the fixed build: every path of pipeline 1 is substituted, the rest built.
    const second = await run(nixBuild(url, `      installables: [".#fixed"]\n`), "second.json");
    assertEquals(second.code, 0, second.output);
    const log2 = await project.jobLog("nix-build");
    const did = nixDid(log2);
    assertEquals(did.substituted, finished, "Nix substituted exactly what pipeline 1 pushed");
    assert(!log2.includes("does not have a valid signature"), "a signature was refused");
    const all = (await storePathsOf(tag)).valid;
    assertEquals(
      did.built,
      all.filter((path) => !finished.includes(path)).map(nameOf).sort(),
      "Nix built only the rest",
    );
    // The report says what Nix did.
    const report = JSON.parse(await Deno.readTextFile(`${project.scratch}/second.json`));
    assertEquals(report.substitution.fromCache, finished.length);
    // Built here: what Nix built, and the flake's source its evaluation copied into the store.
    assertEquals(report.substitution.built, did.built.length + 1);
    assert(
      report.paths.some((p: { path: string }) => p.path.endsWith("-source")),
      "the flake's source is among what appeared",
    );
    assertIncludes(
      log2,
      `resumed: ${finished.length} paths substituted from the cache, ${did.built.length + 1} built`,
    );
    await assertNothingLeft(project, cache.token, before);

    // A deploy job on a fresh runner only reads: the use mixin, a pull-only token, no builds.
    await Deno.remove(`${project.dir}/result`); // the build's out-link, a GC root
    await deleteStorePathsOf(tag);
    const deploy = await run(
      `include:
  - component: ${selfInclude("use")}
    inputs:
      cache: main
      server: ${url}
      token_variable: PULL_TOKEN
deploy:
  extends: .attic-ci-use
  script:
    - nix --extra-experimental-features 'nix-command flakes' build .#fixed --max-jobs 0
`,
      "deploy.json",
      { PULL_TOKEN: cache.pullToken },
    );
    assertEquals(deploy.code, 0, deploy.output);
    assertEquals((await storePathsOf(tag)).valid, all, "the whole closure is back");
    const log3 = await project.jobLog("deploy");
    assertEquals(nixDid(log3).substituted, all);
    assertIncludes(log3, "$ attic-ci clean");
    await assertNothingLeft(project, cache.pullToken, before);
  } finally {
    await cache.close();
    await project.dispose();
  }
});

Deno.test("only the first pipeline pays for the attic client: a consumer flake's attic-client is pushed by pipeline 1 (auto: the built-in client), and pipeline 2's bootstrap (attic_client: cli) substitutes it from the user's own cache and pushes with it", async () => {
  const project = await componentProject({
    pipeline: "",
    double: false,
    nix: "image",
    // The consumer's attic-client package runs the attic test double (no real client here).
    files: { "tests/component/fixture/attic-client": `${ROOT}/tests/attic_double/attic\n` },
  });
  const cache = await attic(project.scratch);
  try {
    const url = cache.server.url;
    const tag = project.world.tag;
    const env = { ATTIC_TOKEN: cache.token };
    const pipeline = (installables: string) =>
      nixBuild(url, `      installables: ${installables}\n`);

    await Deno.writeTextFile(
      `${project.dir}/.gitlab-ci.yml`,
      pipeline(`[".#default", ".#attic-client"]`),
    );
    const first = await project.run([], { env });
    assertEquals(first.code, 0, first.output);
    const log1 = await project.jobLog("nix-build");
    assertIncludes(log1, "attic client: built-in");
    const client = (await storePathsOf(tag)).valid.find((p) => p.endsWith("-attic-client"));
    assert(client !== undefined, "the flake's attic-client was built");
    assert(cache.server.stored("main").includes(hashOf(client)), "pipeline 1 pushed the client");

    // A new runner: nothing of pipeline 1 is left on it (its out-links and state are GC roots).
    for (const link of ["result", "result-1"]) await Deno.remove(`${project.dir}/${link}`);
    await Deno.remove(project.tmp, { recursive: true });
    await Deno.mkdir(project.tmp);
    await deleteStorePathsOf(tag);

    // The user who wants the attic CLI (attic_client: cli) gets it from their own cache.
    await Deno.writeTextFile(
      `${project.dir}/.gitlab-ci.yml`,
      pipeline(`[".#default"]\n      attic_client: cli`),
    );
    const second = await project.run([], { env });
    assertEquals(second.code, 0, second.output);
    const log2 = await project.jobLog("nix-build");
    assert(
      cache.server.requests.some((r) =>
        r.path === `/main/nar/${hashOf(client)}.nar` && r.status === 200
      ),
      "the bootstrap downloaded the client from the cache",
    );
    assertIncludes(log2, "bootstrap: attic client ");
    assertIncludes(log2, `.#attic-client was substituted from ${url}main`);
    const pushes = (await readInvocations(project.world.root)).filter((i) => i.argv[0] === "push");
    assert(pushes.length > 0, "the substituted client pushed");
    const inDouble = new Set(await cachedPaths(`${project.world.root}/caches/main`));
    const built = (await storePathsOf(tag)).valid.filter((p) => p !== client);
    for (const path of built) assert(inDouble.has(path), `${path} was not pushed with the client`);
  } finally {
    await cache.close();
    await project.dispose();
  }
});

Deno.test("without a token (a protected variable in an unprotected pipeline) the build runs, pulls from a public cache and pushes nothing, saying so in one line; strict: true fails the job", async () => {
  const project = await componentProject({ pipeline: "", double: false, nix: "image" });
  const cache = await attic(project.scratch, { public: true });
  try {
    const url = cache.server.url;
    const tag = `${project.world.tag}-b`;
    const pipeline = (more = "") =>
      nixBuild(
        url,
        `      installables: [".#second"]\n      token_variable: PROTECTED_TOKEN\n${more}`,
      );
    await Deno.writeTextFile(`${project.dir}/.gitlab-ci.yml`, pipeline());
    const filled = await project.run([], { env: { PROTECTED_TOKEN: cache.token } });
    assertEquals(filled.code, 0, filled.output);
    const pushed = (await storePathsOf(tag)).valid;
    assertEquals(pushed.length, 10);
    await Deno.remove(`${project.dir}/result`);
    await deleteStorePathsOf(tag);
    const uploads = cache.server.stored("main").length;
    const requestsBefore = cache.server.requests.length;

    const open = await project.run([]);
    assertEquals(open.code, 0, open.output);
    const log = await project.jobLog("nix-build");
    const off = log.split("\n").filter((line) => line.includes("pushing is off"));
    assertEquals(off.length, 1, log);
    assertIncludes(off[0]!, "the variable PROTECTED_TOKEN is not set");
    assertIncludes(log, `pulling from ${url}main (signatures by main-`);
    assertEquals(nixDid(log).substituted, pushed, "the public cache gave everything back");
    assertIncludes(log, "resumed: 10 paths substituted from the cache, 0 built");
    assertEquals(cache.server.stored("main").length, uploads, "nothing was pushed");
    const apiPaths = cache.server.requests.slice(requestsBefore).map((r) => r.path)
      .filter((path) => path.startsWith("/_api/"));
    assertEquals(
      [...new Set(apiPaths)],
      ["/_api/v1/cache-config/main"],
      "only the pull side asked",
    );

    await Deno.writeTextFile(`${project.dir}/.gitlab-ci.yml`, pipeline("      strict: true\n"));
    const strict = await project.run([]);
    assert(strict.code !== 0, `strict passed:\n${strict.output}`);
    assertIncludes(
      await project.jobLog("nix-build"),
      "the variable PROTECTED_TOKEN is not set, and --strict needs every path pushed",
    );
  } finally {
    await cache.close();
    await project.dispose();
  }
});

Deno.test("the watch-store mixin makes the job's own script lines substitute from the cache, and leaves no token behind", async () => {
  const project = await componentProject({ pipeline: "", double: false, nix: "image" });
  const cache = await attic(project.scratch);
  try {
    const url = cache.server.url;
    const tag = `${project.world.tag}-b`;
    const env = { ATTIC_TOKEN: cache.token };
    const before = await nixConfiguration(project);
    await Deno.writeTextFile(
      `${project.dir}/.gitlab-ci.yml`,
      `include:
  - component: ${selfInclude("watch-store")}
    inputs:
      cache: main
      server: ${url}
build:
  extends: .attic-ci-watch-store
  script:
    - nix --extra-experimental-features 'nix-command flakes' build .#second
`,
    );
    const first = await project.run([], { env });
    assertEquals(first.code, 0, first.output);
    const built = (await storePathsOf(tag)).valid;
    assertEquals(built.length, 10);
    await assertNothingLeft(project, cache.token, before);
    await Deno.remove(`${project.dir}/result`);
    await deleteStorePathsOf(tag);

    const second = await project.run([], { env });
    assertEquals(second.code, 0, second.output);
    const log = await project.jobLog("build");
    assertEquals(nixDid(log).substituted, built, "the script's nix build substituted it all");
    assertIncludes(log, "resumed: 10 paths substituted from the cache, 0 built");
    await assertNothingLeft(project, cache.token, before);
  } finally {
    await cache.close();
    await project.dispose();
  }
});
