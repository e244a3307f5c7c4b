/**
 * Runs the real templates through gitlab-ci-local (the real GitLab CI
 * semantics, locally; run with Deno because Node 20 is too old for it).
 *
 * A test gets a throwaway component project: a git repository whose remote
 * names it `attic-ci/attic-ci` on `gitlab.example.com`, holding this
 * repository's `templates/`, the self-test flake and a pipeline. gitlab-ci-local
 * resolves `include: component: $CI_SERVER_FQDN/$CI_PROJECT_PATH/<name>@$CI_COMMIT_SHA`
 * from that working tree, so the templates under test are the ones on disk.
 * Jobs run in the shell (no container engine here) with the helper and the
 * attic test double first on PATH.
 *
 * @module
 */

import { NIX_TEST_ENV, ROOT, sh, tempDir } from "./nix.ts";

/** The gitlab-ci-local release the tests run (notes/gitlab.md). */
export const GCL_VERSION = "4.75.1";

/** The component project path the throwaway repository pretends to be. */
export const PROJECT_PATH = "attic-ci/attic-ci";

/** How a pipeline refers to this component at the commit under test. */
export function selfInclude(name: string): string {
  return `$CI_SERVER_FQDN/$CI_PROJECT_PATH/${name}@$CI_COMMIT_SHA`;
}

/**
 * Rewrites a consumer pipeline's `component: …/attic-ci/<name>@<version>`
 * references to the self-include of the commit under test.
 */
export function pointAtThisCommit(pipeline: string): string {
  return pipeline.replaceAll(
    /(component:\s*)\S+\/attic-ci\/(nix-build|watch-store|use)@\S+/g,
    (_, prefix: string, name: string) => `${prefix}${selfInclude(name)}`,
  );
}

/** What one gitlab-ci-local run printed. */
export interface GclResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr together, colours off. */
  readonly output: string;
}

/** A throwaway component project. */
export interface ComponentProject {
  /** The repository (the jobs' working directory). */
  readonly dir: string;
  /** A scratch directory beside it, removed with it. */
  readonly scratch: string;
  /** The cache, token and build tag of this project's pipelines. */
  readonly world: PipelineWorld;
  /** A directory first on the jobs' PATH (holds the `attic-ci` wrapper unless disabled). */
  readonly bin: string;
  /** The jobs' TMPDIR: holds their default state directories and helper downloads. */
  readonly tmp: string;
  /** The jobs' HOME (kept between pipelines of the project, as on a shell runner). */
  readonly home: string;
  /** The jobs' NIX_CONF_DIR with `nix: "image"`, else null. */
  readonly nixConfDir: string | null;
  /** Runs gitlab-ci-local with `args` in the project. */
  run(args: string[], options?: { env?: Record<string, string> }): Promise<GclResult>;
  /** A job's log as gitlab-ci-local saved it. */
  jobLog(job: string): Promise<string>;
  /** Removes everything. */
  dispose(): Promise<void>;
}

/** Options of {@linkcode componentProject}. */
export interface ComponentProjectOptions {
  /** The project's `.gitlab-ci.yml`. */
  readonly pipeline: string;
  /** Put an `attic-ci` (this checkout, through deno) on the jobs' PATH. @default true */
  readonly helperOnPath?: boolean;
  /** Variables for gitlab-ci-local and, through it, every job (e.g. the token). */
  readonly env?: Record<string, string>;
  /** Extra files to commit, by relative path. */
  readonly files?: Record<string, string>;
  /** Seconds each derivation of the self-test flake takes to build. @default "0.1" */
  readonly sleep?: string;
  /** Put the attic test double on the jobs' PATH (users have no attic there). @default true */
  readonly double?: boolean;
  /**
   * The jobs' Nix configuration. `test`: the machine's, with the new CLI on and no
   * substituter (NIX_TEST_ENV). `image`: as the nixos/nix image has it — no experimental
   * features, signatures required, and (offline here) no substituter — from a `nix.conf` of
   * the project's own (`NIX_CONF_DIR`), with nothing passed by hand. @default "test"
   */
  readonly nix?: "test" | "image";
}

/** Creates a component project and commits it. */
export async function componentProject(
  options: ComponentProjectOptions,
): Promise<ComponentProject> {
  const dir = await tempDir("attic-ci-gcl-");
  const project = `${dir}/project`;
  const bin = `${dir}/bin`;
  const tmp = `${dir}/tmp`;
  const home = `${dir}/home`;
  const scratch = `${dir}/scratch`;
  for (const d of [project, bin, tmp, home, scratch]) await Deno.mkdir(d, { recursive: true });

  await copyInto(`${ROOT}/templates`, `${project}/templates`);
  await copyInto(`${ROOT}/tests/component/fixture`, `${project}/tests/component/fixture`);
  await Deno.mkdir(`${project}/examples/demo`, { recursive: true });
  await Deno.copyFile(`${ROOT}/examples/demo/graph.nix`, `${project}/examples/demo/graph.nix`);
  // The consumer examples build `.#default`: the fixture's outputs from the project's root.
  await Deno.writeTextFile(
    `${project}/flake.nix`,
    "{ outputs = inputs: import ./tests/component/fixture/outputs.nix inputs; }\n",
  );
  await Deno.writeTextFile(`${project}/.gitlab-ci.yml`, options.pipeline);
  await Deno.writeTextFile(`${project}/.gitignore`, ".gitlab-ci-local/\nresult*\n");
  // The flake reads its tag and build time from committed files (no --impure needed), so
  // every project builds new derivations, as the examples do in a consumer's repository.
  const world = pipelineWorld(scratch);
  await Deno.writeTextFile(`${project}/tests/component/fixture/tag`, world.tag);
  await Deno.writeTextFile(`${project}/tests/component/fixture/sleep`, options.sleep ?? "0.1");
  for (const [path, text] of Object.entries(options.files ?? {})) {
    await Deno.mkdir(`${project}/${path}`.replace(/\/[^/]*$/, ""), { recursive: true });
    await Deno.writeTextFile(`${project}/${path}`, text);
  }
  if (options.helperOnPath ?? true) {
    await Deno.writeTextFile(
      `${bin}/attic-ci`,
      `#!/bin/sh\nexec '${Deno.execPath()}' run -A --quiet '${ROOT}/src/main.ts' "$@"\n`,
    );
    await Deno.chmod(`${bin}/attic-ci`, 0o755);
  }
  for (
    const args of [
      ["init", "-q", "-b", "main"],
      ["config", "user.email", "test@attic-ci.invalid"],
      ["config", "user.name", "attic-ci test"],
      ["remote", "add", "origin", `https://gitlab.example.com/${PROJECT_PATH}.git`],
      ["add", "-A"],
      ["commit", "-q", "-m", "component under test"],
      // What a clone has: gitlab-ci-local reads the default branch from origin/HEAD.
      ["update-ref", "refs/remotes/origin/main", "HEAD"],
      ["symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main"],
    ]
  ) {
    const result = await sh("git", args, { cwd: project });
    if (result.code !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr}`);
  }

  let nixConfDir: string | null = null;
  if (options.nix === "image") {
    nixConfDir = `${dir}/etc-nix`;
    await Deno.mkdir(nixConfDir);
    await Deno.writeTextFile(
      `${nixConfDir}/nix.conf`,
      "# Like nixos/nix's: no experimental features, signatures required. Offline here: no\n" +
        "# substituter (the image has cache.nixos.org). Debian's Nix builds without a sandbox.\n" +
        "sandbox = false\nrequire-sigs = true\nsubstituters =\n",
    );
  }
  const path = Deno.env.get("PATH") ?? "/usr/bin:/bin";
  const env: Record<string, string> = {
    ...(nixConfDir === null ? NIX_TEST_ENV : { NIX_CONF_DIR: nixConfDir }),
    PATH: (options.double ?? true) ? `${bin}:${ROOT}/tests/attic_double:${path}` : `${bin}:${path}`,
    TMPDIR: tmp,
    HOME: home,
    // The jobs' HOME is new; Deno's cache is not: a cold cache costs every first helper start.
    DENO_DIR: Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME")}/.cache/deno`,
    NO_COLOR: "1",
    FORCE_COLOR: "0",
    ...world.env,
    ...options.env,
  };
  return {
    dir: project,
    scratch,
    world,
    bin,
    tmp,
    home,
    nixConfDir,
    async run(args, runOptions = {}) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "--quiet",
          `npm:gitlab-ci-local@${GCL_VERSION}`,
          "--cwd",
          ".",
          "--home",
          home,
          "--force-shell-executor",
          "--no-color",
          ...args,
        ],
        cwd: project,
        env: { ...env, ...runOptions.env },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const d = new TextDecoder();
      const stdout = d.decode(out.stdout);
      const stderr = d.decode(out.stderr);
      return { code: out.code, stdout, stderr, output: `${stdout}\n${stderr}` };
    },
    async jobLog(job) {
      return await Deno.readTextFile(
        `${project}/.gitlab-ci-local/output/${job.replaceAll(/[^\w-]/g, "-")}.log`,
      );
    },
    async dispose() {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

async function copyInto(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (entry.isFile) await Deno.copyFile(`${from}/${entry.name}`, `${to}/${entry.name}`);
  }
}

/**
 * The sections open at the first log line containing `needle`, as
 * gitlab-ci-local renders GitLab's markers (`<name>_started` … `<name> took`);
 * null when no line contains it.
 */
export function sectionsAround(log: string, needle: string): string[] | null {
  const open: string[] = [];
  for (const line of log.split("\n")) {
    const started = /^(\S+)_started$/.exec(line.trim());
    const ended = /^(\S+) took \d+ms$/.exec(line.trim());
    if (started) open.push(started[1]!);
    else if (ended) open.splice(open.lastIndexOf(ended[1]!), 1);
    else if (line.includes(needle)) return [...open];
  }
  return null;
}

/** What a pipeline test pushes to: the attic double's root, a token and a fresh build tag. */
export interface PipelineWorld {
  /** `ATTIC_DOUBLE_ROOT`; the cache of `main` is `<root>/caches/main`. */
  readonly root: string;
  readonly token: string;
  /** The self-test flake's tag: makes every derivation of the project new. */
  readonly tag: string;
  /** Variables for gitlab-ci-local (and its jobs). */
  readonly env: Record<string, string>;
}

/** A fresh {@linkcode PipelineWorld} under `dir`. */
function pipelineWorld(dir: string): PipelineWorld {
  const root = `${dir}/double`;
  const token = `attic-secret-${crypto.randomUUID()}`;
  const tag = `c${crypto.randomUUID().slice(0, 8)}`;
  return {
    root,
    token,
    tag,
    env: { ATTIC_DOUBLE_ROOT: root, ATTIC_TOKEN: token },
  };
}

/** gitlab-ci-local arguments that turn GitLab's collapsible sections on in the helper. */
export const GITLAB_SECTIONS = [
  "--variable",
  "GITLAB_CI=true",
  "--ignore-predefined-vars",
  "GITLAB_CI",
];
