/**
 * Specification of the attic test double, against real Nix: each test builds
 * fresh derivations (a random tag in their names), runs the double as a
 * process, and checks the local binary cache it fills, what Nix reads back
 * from it, exit codes, output streams and the invocation log.
 */

import nodeAssert from "node:assert/strict";
import { parseArgs, parseCacheRef } from "./cli_args.ts";
import { parseToml, TomlError } from "./toml_subset.ts";
import { toNix32 } from "./nix_store.ts";
import type { InvocationRecord } from "./main.ts";

const DOUBLE = new URL("./attic", import.meta.url).pathname;
const NO_SUBSTITUTERS = { NIX_CONFIG: "substituters =" };
const HOME = Deno.env.get("HOME") ?? "/root";
const DENO_DIR = Deno.env.get("DENO_DIR") ?? `${HOME}/.cache/deno`;

// ---------------------------------------------------------------- helpers

function assert(condition: unknown, message?: string): asserts condition {
  nodeAssert.ok(condition, message);
}

function assertEquals<T>(actual: T, expected: T, message?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

function assertStringIncludes(text: string, part: string, message?: string): void {
  nodeAssert.ok(
    text.includes(part),
    `${message ? message + ": " : ""}expected ${JSON.stringify(text)} to include ${
      JSON.stringify(part)
    }`,
  );
}

function assertMatch(text: string, pattern: RegExp): void {
  nodeAssert.match(text, pattern);
}

interface World {
  dir: string;
  root: string;
  xdg: string;
  token: string;
  tokenFile: string;
  env: Record<string, string>;
}

function randomTag(): string {
  return crypto.randomUUID().slice(0, 8);
}

/** A temporary world: double root, XDG config with two servers, a token file. */
async function makeWorld(configToml?: string): Promise<World> {
  const dir = await Deno.makeTempDir({ prefix: "attic-double-test-" });
  const root = `${dir}/root`;
  const xdg = `${dir}/xdg`;
  const token = `tok-${crypto.randomUUID()}`;
  const tokenFile = `${dir}/token`;
  await Deno.writeTextFile(tokenFile, `${token}\n`);
  await Deno.mkdir(`${xdg}/attic`, { recursive: true });
  await Deno.writeTextFile(
    `${xdg}/attic/config.toml`,
    configToml ?? `# written by the test
default-server = "local"

[servers.local]
endpoint = "http://attic.invalid/"
token-file = "${tokenFile}"

[servers."other"]
endpoint = 'http://other.invalid/prefix/'
token = "other-raw-token"
`,
    { mode: 0o600 },
  );
  return {
    dir,
    root,
    xdg,
    token,
    tokenFile,
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME,
      DENO_DIR,
      XDG_CONFIG_HOME: xdg,
      ATTIC_DOUBLE_ROOT: root,
      ...NO_SUBSTITUTERS,
    },
  };
}

interface Outcome {
  code: number;
  signal: Deno.Signal | null;
  stdout: string;
  stderr: string;
}

/** Runs the double with a clean environment (only `env`). */
async function attic(
  env: Record<string, string>,
  args: string[],
  stdin?: string,
): Promise<Outcome> {
  const child = new Deno.Command(DOUBLE, {
    args,
    env,
    clearEnv: true,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const output = await child.output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    signal: output.signal,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** Runs a Nix command that must succeed; returns its stdout. */
async function nix(cmd: string, args: string[]): Promise<string> {
  const output = await new Deno.Command(cmd, {
    args,
    env: NO_SUBSTITUTERS,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  if (!output.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed: ${decoder.decode(output.stderr)}`);
  }
  return decoder.decode(output.stdout);
}

interface Built {
  tag: string;
  /** A file with no references. */
  dep: string;
  /** A file that references `dep`. */
  top: string;
}

/**
 * Builds fresh derivations (never seen before thanks to the tag). With
 * `withTree`, also a directory `sub/file` that references `dep` (a live
 * referrer, so `dep` cannot be deleted in that test).
 */
async function build(): Promise<Built>;
async function build(withTree: true): Promise<Built & { tree: string }>;
async function build(withTree = false): Promise<Built & { tree?: string }> {
  const tag = randomTag();
  const expr = `
    let mk = name: script: derivation {
      name = "\${name}-${tag}";
      system = builtins.currentSystem;
      builder = "/bin/sh";
      args = [ "-c" script ];
    };
    dep = mk "dep" "echo dep-${tag} > $out";
    top = mk "top" "echo \${dep} > $out";
    tree = mk "tree" "/bin/mkdir -p $out/sub && echo \${dep} > $out/sub/file";
    in [ dep top ] ++ (if ${withTree} then [ tree ] else [ ])`;
  const out = await nix("nix-build", ["--no-out-link", "-E", expr]);
  const [dep, top, tree] = out.trim().split("\n");
  assert(dep && top && (tree || !withTree), `unexpected nix-build output: ${out}`);
  return tree ? { tag, dep, top, tree } : { tag, dep, top };
}

function hashOf(storePath: string): string {
  return storePath.slice("/nix/store/".length, "/nix/store/".length + 32);
}

function baseOf(storePath: string): string {
  return storePath.slice("/nix/store/".length);
}

function cacheDir(world: World, cache: string): string {
  return `${world.root}/caches/${cache}`;
}

async function narinfo(world: World, cache: string, storePath: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(`${cacheDir(world, cache)}/${hashOf(storePath)}.narinfo`);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

async function records(world: World): Promise<InvocationRecord[]> {
  try {
    const text = await Deno.readTextFile(`${world.root}/invocations.jsonl`);
    return text.trim().split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

async function lastRecord(world: World): Promise<InvocationRecord> {
  const all = await records(world);
  const last = all.at(-1);
  assert(last, "no invocation was logged");
  return last;
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Deletes `deletePaths` from the local store, then asks Nix to substitute
 * `realise` from the cache, proving the cache is readable by Nix.
 */
async function readBack(
  world: World,
  cache: string,
  deletePaths: string[],
  realise: string,
): Promise<void> {
  await nix("nix-store", ["--delete", ...deletePaths]);
  for (const path of deletePaths) {
    const check = await new Deno.Command("nix-store", {
      args: ["--check-validity", path],
      stderr: "null",
    }).output();
    assert(!check.success, `${path} is still valid after nix-store --delete`);
  }
  await nix("nix-store", [
    "-r",
    realise,
    "--option",
    "substituters",
    `file://${cacheDir(world, cache)}`,
    "--option",
    "require-sigs",
    "false",
  ]);
  for (const path of deletePaths) await nix("nix-store", ["--check-validity", path]);
}

async function withWorld(fn: (world: World) => Promise<void>, configToml?: string) {
  const world = await makeWorld(configToml);
  try {
    await fn(world);
  } finally {
    await Deno.remove(world.dir, { recursive: true });
  }
}

// ---------------------------------------------------------------- pushing

Deno.test("push uploads the runtime closure and Nix substitutes it back from the cache", () =>
  withWorld(async (world) => {
    const { dep, top } = await build();
    const result = await attic(world.env, ["push", "demo", top]);

    assertEquals(result.code, 0, result.stderr);
    assertEquals(result.stdout, "");
    assertStringIncludes(
      result.stderr,
      `⚙️ Pushing 2 paths to "demo" on "local" (0 already cached, 0 in upstream)...`,
    );
    assertStringIncludes(result.stderr, `✅ ${baseOf(dep)} (`);
    assertStringIncludes(result.stderr, `✅ ${baseOf(top)} (`);
    assertMatch((await narinfo(world, "demo", top)) ?? "", new RegExp(`StorePath: ${top}`));
    assertStringIncludes((await narinfo(world, "demo", top)) ?? "", `References: ${baseOf(dep)}`);
    assert(await narinfo(world, "demo", dep), "dep narinfo missing");

    const record = await lastRecord(world);
    assertEquals(record.argv, ["push", "demo", top]);
    assertEquals(record.server, "local");
    assertEquals(record.endpoint, "http://attic.invalid/");
    assertEquals(record.cacheConfigUrl, "http://attic.invalid/_api/v1/cache-config/demo");
    assertEquals(record.cache, "demo");
    assertEquals(record.paths, [top]);
    assertEquals(record.pushed, [dep, top]);
    assertEquals(record.alreadyCached, []);
    assertEquals(record.tokenSha256, await sha256Hex(world.token));
    assertEquals(record.configPath, `${world.xdg}/attic/config.toml`);
    assertEquals(record.exitCode, 0);
    assert(record.startedAt <= (record.endedAt ?? 0));

    // The token never reaches output or the log.
    const log = await Deno.readTextFile(`${world.root}/invocations.jsonl`);
    for (const text of [result.stdout, result.stderr, log]) {
      assert(!text.includes(world.token), "the token leaked");
    }

    await readBack(world, "demo", [top, dep], top);
    assertEquals(await Deno.readTextFile(top), `${dep}\n`);
  }));

Deno.test("push counts paths the cache already has and uploads nothing again", () =>
  withWorld(async (world) => {
    const { dep, top } = await build();
    assertEquals((await attic(world.env, ["push", "demo", "--no-closure", dep])).code, 0);

    const partly = await attic(world.env, ["push", "demo", top]);
    assertEquals(partly.code, 0, partly.stderr);
    assertStringIncludes(partly.stderr, `Pushing 1 paths to "demo" on "local" (1 already cached`);
    assertEquals((await lastRecord(world)).pushed, [top]);
    assertEquals((await lastRecord(world)).alreadyCached, [dep]);

    const again = await attic(world.env, ["push", "demo", top]);
    assertEquals(again.code, 0, again.stderr);
    assertStringIncludes(again.stderr, "✅ All done! (2 already cached, 0 in upstream)");
    assertEquals((await lastRecord(world)).pushed, []);
  }));

Deno.test("--no-closure uploads only the given path, even when its references are missing", () =>
  withWorld(async (world) => {
    const { dep, top } = await build();
    const result = await attic(world.env, ["push", "--no-closure", "demo", top]);

    assertEquals(result.code, 0, result.stderr);
    assertStringIncludes(result.stderr, `Pushing 1 paths to "demo" on "local"`);
    assert(await narinfo(world, "demo", top), "top narinfo missing");
    assertEquals(await narinfo(world, "demo", dep), null);
    assertEquals((await lastRecord(world)).pushed, [top]);
    // dep stays in the local store, so Nix can substitute top alone.
    await readBack(world, "demo", [top], top);
    assertEquals(await Deno.readTextFile(top), `${dep}\n`);
  }));

Deno.test("--stdin reads paths line by line and prints no summary line, like the real one", () =>
  withWorld(async (world) => {
    const { dep, top } = await build();
    const result = await attic(world.env, ["push", "--stdin", "demo"], `\n${top}\n\n`);

    assertEquals(result.code, 0, result.stderr);
    assert(!result.stderr.includes("Pushing"), result.stderr);
    assertStringIncludes(result.stderr, `✅ ${baseOf(top)} (`);
    const record = await lastRecord(world);
    assertEquals(record.mode, "stdin");
    assertEquals(record.paths, [top]);
    assertEquals(record.pushed, [dep, top]);

    const empty = await attic(world.env, ["push", "--stdin", "demo"], "");
    assertEquals(empty.code, 0, empty.stderr);
    assertEquals(empty.stderr, "");

    // The real client accepts positional paths with --stdin and ignores them.
    const mixed = await attic(world.env, ["push", "--stdin", "demo", "/nix/store/x"], `${dep}\n`);
    assertEquals(mixed.code, 0, mixed.stderr);
    assertEquals((await lastRecord(world)).paths, [dep]);
  }));

Deno.test("paths inside the store are cut to the store path and others are canonicalised", () =>
  withWorld(async (world) => {
    const { dep, tree } = await build(true);
    const link = `${world.dir}/result`;
    await Deno.symlink(dep, link);
    const result = await attic(world.env, [
      "push",
      "--no-closure",
      "demo",
      `${tree}/sub/file`,
      `${world.dir}/./result`,
    ]);

    assertEquals(result.code, 0, result.stderr);
    const record = await lastRecord(world);
    assertEquals(record.paths, [tree, dep]);
    assertEquals([...record.pushed].sort(), [dep, tree].sort());
  }));

Deno.test("without paths or --stdin it says Nothing specified and exits 0", () =>
  withWorld(async (world) => {
    const result = await attic(world.env, ["push", "demo"]);
    assertEquals(result.code, 0);
    assertStringIncludes(result.stderr, "🤷 Nothing specified.");
    assertStringIncludes(result.stderr, "Hint: Pass --stdin");
  }));

Deno.test("an invalid path fails the planning: exit 1 and nothing is pushed", () =>
  withWorld(async (world) => {
    const { top } = await build();
    const missing = `/nix/store/${"0".repeat(32)}-missing-${randomTag()}`;

    const invalid = await attic(world.env, ["push", "demo", top, missing]);
    assertEquals(invalid.code, 1);
    assertStringIncludes(invalid.stderr, "Error: nix-store exited with exit status: 1");
    assertEquals(await narinfo(world, "demo", top), null);
    assertEquals((await lastRecord(world)).pushed, []);

    const noClosure = await attic(world.env, ["push", "--no-closure", "demo", top, missing]);
    assertEquals(noClosure.code, 1);
    assertStringIncludes(noClosure.stderr, `error: path '${missing}' is not valid`);

    const outside = await attic(world.env, ["push", "demo", top, world.dir]);
    assertEquals(outside.code, 1);
    assertStringIncludes(outside.stderr, `Path is not in store directory`);

    const absent = await attic(world.env, ["push", "demo", `${world.dir}/no-such-result`]);
    assertEquals(absent.code, 1);
    assertStringIncludes(
      absent.stderr,
      "Error: I/O error: No such file or directory (os error 2).",
    );

    const short = await attic(world.env, ["push", "demo", "/nix/store/abc"]);
    assertEquals(short.code, 1);
    assertStringIncludes(short.stderr, "Path is too short");
    assertEquals(await narinfo(world, "demo", top), null);
  }));

Deno.test("paths signed by cache.nixos.org-1 are skipped unless --ignore-upstream-cache-filter", () =>
  withWorld(async (world) => {
    const { dep, top } = await build();
    const key = `${world.dir}/upstream.sec`;
    await nix("nix-store", [
      "--generate-binary-cache-key",
      "cache.nixos.org-1",
      key,
      `${world.dir}/upstream.pub`,
    ]);
    await nix("nix", ["store", "sign", "--key-file", key, dep]);

    const filtered = await attic(world.env, ["push", "demo", top]);
    assertEquals(filtered.code, 0, filtered.stderr);
    assertStringIncludes(
      filtered.stderr,
      `Pushing 1 paths to "demo" on "local" (0 already cached, 1 in upstream)...`,
    );
    assertEquals(await narinfo(world, "demo", dep), null);
    assertEquals((await lastRecord(world)).upstream, [dep]);

    const ignored = await attic(world.env, ["push", "--ignore-upstream-cache-filter", "demo", top]);
    assertEquals(ignored.code, 0, ignored.stderr);
    assertStringIncludes(ignored.stderr, "(1 already cached, 0 in upstream)");
    assertStringIncludes((await narinfo(world, "demo", dep)) ?? "", "Sig: cache.nixos.org-1:");
    await readBack(world, "demo", [top, dep], top);
  }));

// ---------------------------------------------------------- configuration

Deno.test("server:cache picks that server and its token; a bare cache uses default-server", () =>
  withWorld(async (world) => {
    const { dep } = await build();
    const result = await attic(world.env, ["push", "--no-closure", "other:second", dep]);

    assertEquals(result.code, 0, result.stderr);
    assertStringIncludes(result.stderr, `Pushing 1 paths to "second" on "other"`);
    const record = await lastRecord(world);
    assertEquals(record.server, "other");
    assertEquals(record.endpoint, "http://other.invalid/prefix/");
    assertEquals(record.cacheConfigUrl, "http://other.invalid/prefix/_api/v1/cache-config/second");
    assertEquals(record.tokenSha256, await sha256Hex("other-raw-token"));
    assert(await narinfo(world, "second", dep), "the cache is per cache name");
    assertEquals(await narinfo(world, "demo", dep), null);
  }));

Deno.test("an unknown server or a missing default server exits 1 like the real client", () =>
  withWorld(async (world) => {
    const unknown = await attic(world.env, ["push", "nope:demo", "/nix/store/x"]);
    assertEquals(unknown.code, 1);
    assertEquals(unknown.stderr, `Error: Server "nope" does not exist\n`);

    await Deno.writeTextFile(`${world.xdg}/attic/config.toml`, `default-server = "gone"\n`);
    const gone = await attic(world.env, ["push", "demo", "/nix/store/x"]);
    assertEquals(gone.code, 1);
    assertEquals(gone.stderr, `Error: Configured default server "gone" does not exist\n`);

    await Deno.remove(`${world.xdg}/attic/config.toml`);
    const none = await attic(world.env, ["push", "demo", "/nix/store/x"]);
    assertEquals(none.code, 1);
    assertEquals(none.stderr, "Error: No servers are available.\n");
  }));

Deno.test("a missing token is Unauthorized and an unreadable token-file is reported", () =>
  withWorld(async (world) => {
    const config = (body: string) =>
      Deno.writeTextFile(
        `${world.xdg}/attic/config.toml`,
        `[servers.s]\nendpoint = "http://s.invalid/"\n${body}`,
      );

    await config("");
    const noToken = await attic(world.env, ["push", "demo", "/nix/store/x"]);
    assertEquals(noToken.code, 1);
    assertEquals(noToken.stderr, "Error: Unauthorized: Unauthorized.\n");
    assertEquals((await lastRecord(world)).tokenSha256, null);

    await config(`token-file = "${world.dir}/absent"\n`);
    const absent = await attic(world.env, ["push", "demo", "/nix/store/x"]);
    assertEquals(absent.code, 1);
    assertStringIncludes(absent.stderr, `Error: Failed to read token from ${world.dir}/absent`);
    assertStringIncludes(absent.stderr, "Caused by:\n    No such file or directory (os error 2)");

    await config(`token = "right"\n`);
    const wrong = await attic(
      { ...world.env, ATTIC_DOUBLE_EXPECT_TOKEN_SHA256: await sha256Hex("other") },
      ["push", "demo", "/nix/store/x"],
    );
    assertEquals(wrong.code, 1);
    assertStringIncludes(wrong.stderr, "Unauthorized");
  }));

Deno.test("the config falls back to $HOME/.config when XDG_CONFIG_HOME is unset", () =>
  withWorld(async (world) => {
    const { dep } = await build();
    const home = `${world.dir}/home`;
    await Deno.mkdir(`${home}/.config/attic`, { recursive: true });
    await Deno.writeTextFile(
      `${home}/.config/attic/config.toml`,
      `[servers.h]\nendpoint = "http://h.invalid/"\ntoken = "t" # comment\n`,
    );
    const env = { ...world.env, HOME: home };
    delete (env as Record<string, string | undefined>).XDG_CONFIG_HOME;
    const result = await attic(env, ["push", "--no-closure", "c", dep]);
    assertEquals(result.code, 0, result.stderr);
    const record = await lastRecord(world);
    assertEquals(record.configPath, `${home}/.config/attic/config.toml`);
    assertEquals(record.server, "h");
  }));

Deno.test("without ATTIC_DOUBLE_ROOT the double exits 1 and says it needs it", async () => {
  const world = await makeWorld();
  try {
    const env = { ...world.env };
    delete (env as Record<string, string | undefined>).ATTIC_DOUBLE_ROOT;
    const result = await attic(env, ["push", "demo", "/nix/store/x"]);
    assertEquals(result.code, 1);
    assertStringIncludes(result.stderr, "ATTIC_DOUBLE_ROOT is not set");
  } finally {
    await Deno.remove(world.dir, { recursive: true });
  }
});

// ---------------------------------------------------------------- the CLI

Deno.test("usage errors exit 2 with clap-style messages; --jobs 0 exits 1", () =>
  withWorld(async (world) => {
    const cases: [string[], number, string][] = [
      [[], 2, "Usage: attic <COMMAND>"],
      [["frob"], 2, "error: unrecognized subcommand 'frob'"],
      [["--bogus"], 2, "error: unexpected argument '--bogus' found"],
      [["push"], 2, "error: the following required arguments were not provided:\n  <CACHE>"],
      [["push", "--bogus", "c"], 2, "error: unexpected argument '--bogus' found"],
      [["push", "-x", "c"], 2, "error: unexpected argument '-x' found"],
      [["push", "bad name!", "/nix/store/x"], 2, "for '<CACHE>': Invalid cache reference"],
      [["push", "a:b:c"], 2, "error: invalid value 'a:b:c' for '<CACHE>'"],
      [["push", "-j", "x", "c"], 2, "for '--jobs <JOBS>': invalid digit found in string"],
      [["push", "c", "--jobs"], 2, "a value is required for '--jobs <JOBS>'"],
      [
        ["push", "--stdin", "--stdin", "c"],
        2,
        "the argument '--stdin' cannot be used multiple times",
      ],
      [["push", "--stdin=yes", "c"], 2, "unexpected value 'yes' for '--stdin' found"],
      [["push", "-j", "0", "c", "/nix/store/x"], 1, "Error: The number of jobs cannot be 0"],
      [["login", "x", "http://x/"], 2, "attic double: subcommand login is not emulated"],
      [["watch-store", "c"], 2, "attic double: subcommand watch-store is not emulated"],
    ];
    const results = await Promise.all(cases.map(([args]) => attic(world.env, args)));
    cases.forEach(([args, code, message], i) => {
      const result = results[i] as Outcome;
      assertEquals(result.code, code, `attic ${args.join(" ")}: ${result.stderr}`);
      assertStringIncludes(result.stderr, message, `attic ${args.join(" ")}`);
      assertEquals(result.stdout, "");
    });
    // Every invocation is logged, usage errors included.
    assertEquals((await records(world)).length, cases.length);
  }));

Deno.test("--version and --help print on stdout with exit 0; accepted flags parse", async () => {
  const world = await makeWorld();
  try {
    const version = await attic(world.env, ["--version"]);
    assertEquals([version.code, version.stdout], [0, "attic 0.1.0\n"]);
    const help = await attic(world.env, ["--help"]);
    assertEquals(help.code, 0);
    assertStringIncludes(help.stdout, "push         Push closures to a binary cache");
    const pushHelp = await attic(world.env, ["push", "--help"]);
    assertEquals(pushHelp.code, 0);
    for (
      const flag of ["--stdin", "--no-closure", "--ignore-upstream-cache-filter", "-j, --jobs"]
    ) {
      assertStringIncludes(pushHelp.stdout, flag);
    }
  } finally {
    await Deno.remove(world.dir, { recursive: true });
  }

  // In-process: what the parser accepts, as the real clap definitions do.
  const ok = parseArgs(["push", "-j3", "--no-closure", "s:c", "--", "--odd-path"]);
  assert(ok.kind === "push");
  assertEquals(ok.options.jobs, 3);
  assertEquals(ok.options.cache, { server: "s", cache: "c" });
  assertEquals(ok.options.paths, ["--odd-path"]);
  const withStdin = parseArgs(["push", "--stdin", "--jobs=7", "c", "/nix/store/ignored"]);
  assert(withStdin.kind === "push" && withStdin.options.stdin && withStdin.options.jobs === 7);
  assertEquals(parseCacheRef("user+cache_1"), { server: null, cache: "user+cache_1" });
  assertEquals(parseCacheRef("-bad"), null);
});

Deno.test("parseToml reads the config subset and rejects what it does not support", () => {
  const doc = parseToml(`# comment
default-server = "ci" # trailing
[servers.ci]
endpoint = "https://a.example/\\u0041"
"token-file" = '/run/C:\\token'
[servers."x.y"]
endpoint = "e"
`);
  assertEquals(doc, {
    "default-server": "ci",
    servers: {
      ci: { endpoint: "https://a.example/A", "token-file": "/run/C:\\token" },
      "x.y": { endpoint: "e" },
    },
  });
  for (const bad of ["a = [1]", 'a = "open', "[t]\n[t]", "a = 1\na = 2", "a = 1 b"]) {
    let caught: unknown;
    try {
      parseToml(bad);
    } catch (error) {
      caught = error;
    }
    assert(caught instanceof TomlError, `accepted: ${bad}`);
  }
});

Deno.test("toNix32 encodes like `nix hash to-base32`", async () => {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  const expected = (await nix("nix", ["hash", "to-base32", "--type", "sha256", hex])).trim();
  assertEquals(toNix32(bytes), expected);
});

// ---------------------------------------------------------- fault injection

Deno.test("ATTIC_DOUBLE_FAIL_TIMES fails the first N invocations, also concurrently", () =>
  withWorld(async (world) => {
    const { dep } = await build();
    const env = { ...world.env, ATTIC_DOUBLE_FAIL_TIMES: "3" };
    const first = await attic(env, ["push", "--no-closure", "demo", dep]);
    assertEquals(first.code, 1);
    assertStringIncludes(first.stderr, "Error: error sending request for url");
    assertEquals(await narinfo(world, "demo", dep), null);
    assertEquals((await lastRecord(world)).fault, "fail-times");

    const rest = await Promise.all(
      Array.from({ length: 5 }, () => attic(env, ["push", "--no-closure", "demo", dep])),
    );
    assertEquals(rest.map((r) => r.code).sort(), [0, 0, 0, 1, 1]);
    assert(await narinfo(world, "demo", dep));
    const logged = await records(world);
    assertEquals(logged.filter((r) => r.fault === "fail-times").length, 3);
  }));

Deno.test("ATTIC_DOUBLE_FAIL_PATH fails matching paths, uploads the rest and exits 1", () =>
  withWorld(async (world) => {
    const { dep, top, tag } = await build();
    const env = { ...world.env, ATTIC_DOUBLE_FAIL_PATH: `-dep-${tag}$` };
    const result = await attic(env, ["push", "demo", top]);

    assertEquals(result.code, 1);
    assertStringIncludes(result.stderr, `❌ ${baseOf(dep)}: InternalServerError`);
    assertStringIncludes(result.stderr, `✅ ${baseOf(top)} (`);
    assertStringIncludes(result.stderr, "\nError: InternalServerError");
    assertEquals(await narinfo(world, "demo", dep), null);
    const record = await lastRecord(world);
    assertEquals([record.pushed, record.failed, record.fault], [[top], [dep], "fail-path"]);
    await readBack(world, "demo", [top], top);
  }));

Deno.test("ATTIC_DOUBLE_EXIT=101 panics and =2 exits 2, before anything is pushed", () =>
  withWorld(async (world) => {
    const { top } = await build();
    const panic = await attic({ ...world.env, ATTIC_DOUBLE_EXIT: "101" }, ["push", "demo", top]);
    assertEquals(panic.code, 101);
    assertMatch(panic.stderr, /^thread 'main' panicked at /);
    const usage = await attic({ ...world.env, ATTIC_DOUBLE_EXIT: "2" }, ["push", "demo", top]);
    assertEquals(usage.code, 2);
    assertEquals(await narinfo(world, "demo", top), null);
    const logged = await records(world);
    assertEquals(logged.map((r) => [r.exitCode, r.fault]), [[101, "exit"], [2, "exit"]]);
  }));

Deno.test("ATTIC_DOUBLE_HANG hangs until killed; the invocation is logged with the signal", () =>
  withWorld(async (world) => {
    const child = new Deno.Command(DOUBLE, {
      args: ["push", "demo", "/nix/store/x"],
      env: { ...world.env, ATTIC_DOUBLE_HANG: "1" },
      clearEnv: true,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let stderr = "";
    while (!stderr.includes("hanging until killed")) {
      const { value, done } = await reader.read();
      assert(!done, `exited instead of hanging: ${stderr}`);
      stderr += value;
    }
    child.kill("SIGTERM");
    while (!(await reader.read()).done) { /* drain */ }
    const status = await child.status;
    assertEquals(status.signal, "SIGTERM");
    const record = await lastRecord(world);
    assertEquals([record.fault, record.signal, record.exitCode], ["hang", "SIGTERM", null]);
  }));

Deno.test("ATTIC_DOUBLE_HANG_TIMES hangs the first N invocations at the server, and later ones push", () =>
  withWorld(async (world) => {
    const { dep } = await build();
    const env = { ...world.env, ATTIC_DOUBLE_HANG_TIMES: "1" };
    const child = new Deno.Command(DOUBLE, {
      args: ["push", "--no-closure", "demo", dep],
      env,
      clearEnv: true,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let stderr = "";
    while (!stderr.includes("hanging until killed (ATTIC_DOUBLE_HANG_TIMES)")) {
      const { value, done } = await reader.read();
      assert(!done, `exited instead of hanging: ${stderr}`);
      stderr += value;
    }
    child.kill("SIGTERM");
    while (!(await reader.read()).done) { /* drain */ }
    assertEquals((await child.status).signal, "SIGTERM");
    assertEquals(await narinfo(world, "demo", dep), null);

    const second = await attic(env, ["push", "--no-closure", "demo", dep]);
    assertEquals(second.code, 0, second.stderr);
    assert(await narinfo(world, "demo", dep));
    assertEquals((await records(world)).map((r) => r.fault), ["hang", null]);
  }));

Deno.test("latency and bandwidth are modelled as sleeps recorded in delayMs", () =>
  withWorld(async (world) => {
    const { dep, top } = await build();
    const info: { narSize: number }[] = JSON.parse(
      await nix("nix", ["path-info", "--json", dep, top]),
    );
    const env = {
      ...world.env,
      ATTIC_DOUBLE_LATENCY_MS: "20",
      ATTIC_DOUBLE_BANDWIDTH_BPS: "10000",
    };
    const result = await attic(env, ["push", "demo", top]);
    assertEquals(result.code, 0, result.stderr);
    const expected = 20 + info.reduce((sum, i) => sum + Math.ceil(i.narSize * 1000 / 10000), 0);
    const record = await lastRecord(world);
    assertEquals(record.delayMs, expected);
    assertEquals(record.pushed, [dep, top]);
    await readBack(world, "demo", [top, dep], top);

    const plain = await attic(world.env, ["push", "demo", top]);
    assertEquals(plain.code, 0);
    assertEquals((await lastRecord(world)).delayMs, 0);
  }));
