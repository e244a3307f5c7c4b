/**
 * `deno task demo`: attic-ci on an embedded default — a local binary cache in
 * `.demo/cache`, no server, no network. It shows the three things attic-ci is
 * for:
 *
 * 1. a build streamed to the cache while it runs, and the report;
 * 2. a build that fails midway, whose finished part is in the cache anyway;
 * 3. the next pipeline on a fresh runner, which substitutes that part from
 *    the cache instead of building it again: the same set-up for all three,
 *    nothing passed to Nix by hand. The cache is signed (a key made once in
 *    `.demo/`), so attic-ci's pull side trusts it with signatures required,
 *    as the components do with an Attic cache's own key.
 *
 * @module
 */

import { v8FlagsArgument } from "../../src/system/v8_flags.ts";

const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const MAIN = `${ROOT}/src/main.ts`;
const GRAPH = `${ROOT}/examples/demo/graph.nix`;
const WORK = `${Deno.cwd()}/.demo`;
const CACHE = `${WORK}/cache`;
const SIGNING_KEY = `${WORK}/signing-key.sec`;
const FAIL_AT = "l3n2";

/** No network substituter: the demo must run offline and only use its own cache. */
const OFFLINE = "substituters =\n";

interface Step {
  code: number;
  built: number;
  substituted: number;
}

function heading(text: string): void {
  console.log(`\n\x1b[1m== ${text}\x1b[0m`);
}

/** Runs `attic-ci exec` around a nix-build of the demo graph; shows attic-ci's lines. */
async function streamedBuild(tag: string, options: { failAt?: string } = {}) {
  const args = [
    "run",
    "-A",
    "--quiet",
    v8FlagsArgument(),
    MAIN,
    "exec",
    "--backend",
    "nix-copy",
    "--to",
    `file://${CACHE}?secret-key=${SIGNING_KEY}`,
    "--state-dir",
    `${WORK}/state`,
    "--report",
    `${WORK}/report-${tag}.json`,
    "--",
    "nix-build",
    GRAPH,
    "--argstr",
    "tag",
    tag,
    "--argstr",
    "failAt",
    options.failAt ?? "",
    "-A",
    "all",
    "--out-link",
    `${WORK}/result`,
  ];
  console.log(
    "$ attic-ci exec --backend nix-copy --to 'file://.demo/cache?secret-key=…' -- nix-build …",
  );
  const child = new Deno.Command(Deno.execPath(), {
    args,
    env: { NIX_CONFIG: OFFLINE },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const step: Step = { code: 0, built: 0, substituted: 0 };
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of child.stderr) {
    pending += decoder.decode(chunk, { stream: true });
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      if (line.startsWith("building '")) step.built++;
      else if (line.startsWith("copying path")) step.substituted++;
      if (
        (line.startsWith("attic-ci:") && !line.startsWith("attic-ci:   ")) ||
        line.startsWith("watch-store") || line.includes("fails on purpose")
      ) console.log(`  ${line}`);
    }
  }
  await child.stdout.cancel();
  step.code = (await child.status).code;
  console.log(
    `  (nix: ${step.built} derivations built, ${step.substituted} paths substituted; exit ${step.code})`,
  );
  return step;
}

/** Deletes a tag's outputs from the local store, as on a fresh CI runner. */
async function forgetLocally(tag: string): Promise<number> {
  await Deno.remove(`${WORK}/result`).catch(() => {});
  const paths: string[] = [];
  for await (const entry of Deno.readDir("/nix/store")) {
    const name = entry.name;
    if (name.includes(`-attic-ci-demo-${tag}-`) && !/\.(drv|lock)$/.test(name)) {
      paths.push(`/nix/store/${entry.name}`);
    }
  }
  const out = await new Deno.Command("nix-store", {
    args: ["--delete", ...paths],
    env: { NIX_CONFIG: OFFLINE },
    stdout: "null",
    stderr: "null",
  }).output();
  return out.success ? paths.length : 0;
}

/** The cache's signing key, made once: what Nix checks every substituted path against. */
async function signingKey(): Promise<void> {
  if (await Deno.stat(SIGNING_KEY).then(() => true, () => false)) return;
  const out = await new Deno.Command("nix", {
    args: [
      "--extra-experimental-features",
      "nix-command",
      "key",
      "generate-secret",
      "--key-name",
      "attic-ci-demo-1",
    ],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error("nix key generate-secret failed");
  await Deno.writeFile(SIGNING_KEY, out.stdout, { mode: 0o600 });
}

async function main(): Promise<number> {
  await Deno.mkdir(WORK, { recursive: true });
  await signingKey();
  const tag = `d${crypto.randomUUID().slice(0, 6)}`;
  console.log(
    "attic-ci demo: a graph of 37 small derivations, a local binary cache in .demo/cache",
  );

  heading("1. Stream a build to the cache while it runs");
  const first = await streamedBuild(`${tag}a`);
  if (first.code !== 0) return first.code;

  heading(`2. A build that fails midway (${FAIL_AT} fails on purpose)`);
  const failed = await streamedBuild(`${tag}b`, { failAt: FAIL_AT });
  console.log(`  the build failed (exit ${failed.code}); what finished before it is in the cache.`);

  heading("3. The next pipeline, on a fresh runner, resumes from the cache");
  const forgotten = await forgetLocally(`${tag}b`);
  console.log(`  (deleted ${forgotten} paths of run 2 from the local store, like a new runner)`);
  // The same command as before: attic-ci sets Nix up to substitute from the cache it fills.
  const resumed = await streamedBuild(`${tag}b`);
  console.log(
    `\n  resumed: ${resumed.substituted} paths came from the cache instead of being rebuilt; ` +
      `${resumed.built} derivations were left to build.`,
  );
  console.log(`\nThe cache is in .demo/cache; the JSON reports are in .demo/report-*.json.`);
  return resumed.code;
}

Deno.exitCode = await main();
