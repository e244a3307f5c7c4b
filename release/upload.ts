/**
 * `deno task release:upload DIR VERSION`: uploads every file in DIR (the
 * compiled helpers, SHA256SUMS, and the files `release:sign` wrote that vouch
 * for each helper) to this project's generic package registry under VERSION,
 * with the job's own token: `PUT
 * $CI_API_V4_URL/projects/$CI_PROJECT_ID/packages/generic/attic-ci/VERSION/FILE`.
 * The files that make the version usable go last: the binaries and NARs
 * first, then the narinfos, SHA256SUMS (for downloads by hand), and the
 * `.storepath` files (what the templates' step reads first), so nobody is
 * ever sent to a file that is not there yet. A helper without its vouching
 * files is refused: the templates would refuse it too.
 *
 * @module
 */

import {
  CHECKSUMS_FILE,
  PACKAGE_NAME,
  RELEASE_TARGETS,
  releaseFile,
  VOUCHING_FILES,
  vouchingFile,
} from "./targets.ts";

/**
 * Where `name` goes in the upload order: 0 first (binaries, NARs and anything
 * else), then narinfos, SHA256SUMS, and store paths last.
 */
export function uploadRank(name: string): number {
  if (name.endsWith(".storepath")) return 3;
  if (name === CHECKSUMS_FILE) return 2;
  if (name.endsWith(".narinfo")) return 1;
  return 0;
}

/** Where a file goes. */
export function packageFileUrl(apiUrl: string, project: string, version: string, file: string) {
  if (!/^[\w+.-]+$/.test(version) || version.includes("..")) {
    throw new RangeError(
      `Cannot upload under version ${
        JSON.stringify(version)
      }: the registry accepts [A-Za-z0-9_+.-] without ".."`,
    );
  }
  return `${apiUrl.replace(/\/+$/, "")}/projects/${
    encodeURIComponent(project)
  }/packages/generic/${PACKAGE_NAME}/${version}/${file}`;
}

/** Options of {@linkcode uploadRelease}. */
export interface UploadOptions {
  /** `CI_API_V4_URL`. */
  readonly apiUrl: string;
  /** `CI_PROJECT_ID` (or the project's path). */
  readonly project: string;
  /** `CI_JOB_TOKEN`: sent as the `JOB-TOKEN` header, never printed. */
  readonly jobToken: string;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

/** Uploads the files of `dir` under `version`; returns their URLs. Throws on the first failure. */
export async function uploadRelease(
  dir: string,
  version: string,
  options: UploadOptions,
): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) if (entry.isFile) names.push(entry.name);
  if (!names.includes(CHECKSUMS_FILE)) {
    throw new Error(`${dir} has no ${CHECKSUMS_FILE}: run deno task compile first`);
  }
  for (const { system } of RELEASE_TARGETS) {
    if (!names.includes(releaseFile(system))) continue;
    const missing = VOUCHING_FILES.map((kind) => vouchingFile(system, kind))
      .filter((name) => !names.includes(name));
    if (missing.length > 0) {
      throw new Error(
        `${dir} has ${releaseFile(system)} but not ${
          missing.join(", ")
        }: run deno task release:sign first (the templates run no unsigned helper)`,
      );
    }
  }
  names.sort((a, b) => uploadRank(a) - uploadRank(b) || a.localeCompare(b));
  const doFetch = options.fetch ?? fetch;
  const urls: string[] = [];
  for (const name of names) {
    const url = packageFileUrl(options.apiUrl, options.project, version, name);
    const response = await doFetch(url, {
      method: "PUT",
      headers: { "JOB-TOKEN": options.jobToken },
      body: await Deno.readFile(`${dir}/${name}`),
    });
    const text = await response.text();
    if (response.status !== 201 && response.status !== 200) {
      throw new Error(
        `upload of ${name} to ${url} failed: HTTP ${response.status} ${text.slice(0, 200)}`,
      );
    }
    console.log(`release:upload: ${name} → ${url}`);
    urls.push(url);
  }
  return urls;
}

if (import.meta.main) {
  const [dir, version] = Deno.args;
  const env = Deno.env.toObject();
  const missing = ["CI_API_V4_URL", "CI_PROJECT_ID", "CI_JOB_TOKEN"].filter((name) => !env[name]);
  if (dir === undefined || version === undefined || missing.length > 0) {
    console.error(
      "release:upload: usage: deno task release:upload DIR VERSION, in a GitLab job" +
        (missing.length > 0 ? ` (missing ${missing.join(", ")})` : ""),
    );
    Deno.exitCode = 2;
  } else {
    try {
      await uploadRelease(dir, version, {
        apiUrl: env.CI_API_V4_URL!,
        project: env.CI_PROJECT_ID!,
        jobToken: env.CI_JOB_TOKEN!,
      });
    } catch (error) {
      console.error(`release:upload: ${error instanceof Error ? error.message : error}`);
      Deno.exitCode = 1;
    }
  }
}
