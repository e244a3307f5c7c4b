/**
 * Test helpers around the real Nix: fresh tags, the demo graph, store and
 * cache inspection. Nothing here mocks Nix.
 *
 * @module
 */

/** The demo graph used by tests (examples/demo/graph.nix). */
export const GRAPH = new URL("../../examples/demo/graph.nix", import.meta.url).pathname;

/** The repository root. */
export const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

/**
 * Nix settings for every child: no network substituter (this machine has no
 * internet; cache.nixos.org lookups would add seconds per call), and the new
 * CLI enabled even where nix.conf does not enable it.
 */
export const NIX_TEST_ENV: Record<string, string> = {
  NIX_CONFIG: "substituters =\nexperimental-features = nix-command flakes\n",
};

/** A tag that makes every derivation of a test new, so Nix really builds. */
export function newTag(prefix = "t"): string {
  return `${prefix}${crypto.randomUUID().slice(0, 8)}`;
}

/** The nix-build command line building the demo graph with `tag`. */
export function graphBuild(
  tag: string,
  options: { width?: number; depth?: number; sleep?: string; failAt?: string; attr?: string } = {},
): string[] {
  return [
    "nix-build",
    GRAPH,
    "--argstr",
    "tag",
    tag,
    "--arg",
    "width",
    String(options.width ?? 6),
    "--arg",
    "depth",
    String(options.depth ?? 5),
    "--argstr",
    "sleep",
    options.sleep ?? "0.05",
    "--argstr",
    "failAt",
    options.failAt ?? "",
    "-A",
    options.attr ?? "all",
  ];
}

/**
 * Runs a program to completion with {@linkcode NIX_TEST_ENV} and no stdin;
 * returns its code (128+N when killed by signal N) and output. `signal` stops
 * it with SIGTERM.
 */
export async function sh(
  program: string,
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; signal?: AbortSignal } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(program, {
    args,
    env: { ...NIX_TEST_ENV, ...options.env },
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
}

/**
 * Builds the demo graph for `tag` now, without an out-link, and returns its
 * top output (whose closure is the whole graph). Throws with nix-build's
 * error when the build fails.
 */
export async function buildGraph(
  tag: string,
  options: Parameters<typeof graphBuild>[1] = {},
): Promise<string> {
  const [program, ...args] = graphBuild(tag, options);
  const built = await sh(program!, [...args, "--no-out-link"]);
  if (built.code !== 0) throw new Error(`nix-build failed for ${tag}: ${built.stderr.trim()}`);
  return built.stdout.trim();
}

/** Every entry of the store whose name carries `tag` (outputs, `.drv`, `.lock`), sorted. */
export async function storeEntriesOf(tag: string): Promise<string[]> {
  const paths: string[] = [];
  for await (const entry of Deno.readDir("/nix/store")) {
    if (entry.name.includes(`-${tag}-`)) paths.push(`/nix/store/${entry.name}`);
  }
  return paths.sort();
}

/** Store paths (not .drv, not locks) whose names carry `tag`, split by validity. */
export async function storePathsOf(tag: string): Promise<{ valid: string[]; invalid: string[] }> {
  const paths = (await storeEntriesOf(tag)).filter((p) =>
    !p.endsWith(".drv") && !p.endsWith(".lock")
  );
  if (paths.length === 0) return { valid: [], invalid: [] };
  const result = await sh("nix-store", ["--check-validity", "--print-invalid", ...paths]);
  const invalid = new Set(result.stdout.split("\n").filter((l) => l));
  return { valid: paths.filter((p) => !invalid.has(p)), invalid: [...invalid].sort() };
}

/** The `.drv` files whose names carry `tag`. */
export async function derivationsOf(tag: string): Promise<string[]> {
  return (await storeEntriesOf(tag)).filter((p) => p.endsWith(".drv"));
}

/**
 * Deletes every store entry whose name carries `tag` with `nix-store --delete`
 * (valid paths, outputs a failed build left unregistered, `.drv` files and
 * locks alike), and nothing else; throws with Nix's message when one is still
 * alive (rooted, or referenced by a path not carrying `tag`).
 */
export async function deleteStorePathsOf(tag: string): Promise<number> {
  const paths = await storeEntriesOf(tag);
  if (paths.length === 0) return 0;
  const result = await sh("nix-store", ["--delete", ...paths]);
  if (result.code !== 0) {
    throw new Error(
      `Cannot delete the store paths of ${tag}: nix-store exited with ${result.code}: ${
        result.stderr.split("\n").find((l) => l.startsWith("error:")) ?? result.stderr.trim()
      }`,
    );
  }
  return paths.length;
}

/** Whether the binary cache in `dir` has a narinfo for `path`. */
export async function hasNarinfo(dir: string, path: string): Promise<boolean> {
  const hash = path.slice("/nix/store/".length, "/nix/store/".length + 32);
  try {
    await Deno.stat(`${dir}/${hash}.narinfo`);
    return true;
  } catch {
    return false;
  }
}

/** The store paths of every narinfo in the binary cache in `dir`. */
export async function cachedPaths(dir: string): Promise<string[]> {
  const paths: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.name.endsWith(".narinfo")) continue;
      const text = await Deno.readTextFile(`${dir}/${entry.name}`);
      const path = /^StorePath: (\S+)$/m.exec(text)?.[1];
      if (path) paths.push(path);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return paths.sort();
}

/** Whether Nix itself reads `paths` back from the binary cache `url` (parses their narinfo). */
export async function nixReadsBack(url: string, paths: string[]): Promise<boolean> {
  const result = await sh("nix", ["path-info", "--store", url, ...paths]);
  return result.code === 0 && paths.every((p) => result.stdout.includes(p));
}

/** A fresh temporary directory, removed by the returned disposer. */
export async function tempDir(prefix = "attic-ci-test-"): Promise<string> {
  return await Deno.makeTempDir({ prefix });
}
