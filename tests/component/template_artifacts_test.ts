/**
 * The templates keep the helper's report files as job artifacts, by paths
 * GitLab shows in merge requests: literal (no variables), without `./`, a
 * folder ending in `/`, inside `$CI_PROJECT_DIR`, and kept when the job
 * fails. The files are the ones `--artifacts` writes, and the `artifacts`
 * input turns `--artifacts` on and off. Static: no job runs.
 */

import { parseAllDocuments } from "yaml";
import { engineConfig } from "../../src/options/engine_config.ts";
import { ARTIFACTS_DIR, ENGINE_OPTIONS } from "../../src/options/option_specs.ts";
import { parseCommandArgs } from "../../src/options/parse_args.ts";
import { ARTIFACT_FILES } from "../../src/session/report_files.ts";
import { assert, assertEquals } from "../helpers/assert.ts";
import { ROOT } from "../helpers/nix.ts";

interface Artifacts {
  when?: string;
  expire_in?: string;
  expose_as?: string;
  paths?: string[];
  reports?: { metrics?: string; dotenv?: string };
}

async function template(name: string) {
  const text = await Deno.readTextFile(`${ROOT}/templates/${name}.yml`);
  const [header, body] = parseAllDocuments(text).map((doc) => doc.toJS());
  const job = body["$[[ inputs.job_name ]]"] as {
    artifacts?: Artifacts;
    variables: Record<string, string | { value: string }>;
  };
  return { inputs: header.spec.inputs, job };
}

for (const name of ["nix-build", "watch-store"]) {
  Deno.test(`${name}: keeps attic-ci/ as artifacts, also on failure, exposed in merge requests, with the metrics and dotenv reports`, async () => {
    const { inputs, job } = await template(name);
    const a = job.artifacts;
    assert(a !== undefined, `${name} keeps no artifacts`);
    assertEquals(a.when, "always");
    assert(a.expire_in !== undefined, "artifacts that never expire");
    assertEquals(a.expose_as, "attic-ci report");
    assert(
      /^\w[-\w ]*$/.test(a.expose_as!),
      "GitLab's expose_as names: letters, digits, - and spaces",
    );
    assertEquals(a.paths, [`${ARTIFACTS_DIR}/`]);
    for (const path of [...a.paths!, a.reports?.metrics!, a.reports?.dotenv!]) {
      assert(!path.includes("$") && !path.startsWith("./") && !path.startsWith("/"), path);
    }
    assertEquals(a.reports, {
      metrics: `${ARTIFACTS_DIR}/${ARTIFACT_FILES.metrics}`,
      dotenv: `${ARTIFACTS_DIR}/${ARTIFACT_FILES.dotenv}`,
    });
    assertEquals(inputs.artifacts?.type, "boolean");
    assertEquals(inputs.artifacts?.default, true);
  });

  Deno.test(`${name}: the artifacts input turns the helper's --artifacts on (the default) and off`, async () => {
    const { inputs, job } = await template(name);
    const variable = job.variables.ATTIC_CI_ARTIFACTS!;
    const text = typeof variable === "string" ? variable : variable.value;
    const dirOf = async (value: boolean) => {
      const env = {
        ATTIC_CI_ARTIFACTS: text.replace("$[[ inputs.artifacts ]]", String(value)),
        CI_PROJECT_DIR: "/builds/group/project",
        ATTIC_CI_BACKEND: "nix-copy",
        ATTIC_CI_TO: "file:///cache",
      };
      return engineConfig(await parseCommandArgs([], ENGINE_OPTIONS, env), env).artifactsDir;
    };
    assertEquals(await dirOf(inputs.artifacts.default), ARTIFACTS_DIR);
    assertEquals(await dirOf(false), null);
  });
}
