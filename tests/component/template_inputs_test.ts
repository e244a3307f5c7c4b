/**
 * Every component input reaches the helper: the templates hand each input
 * that is not a key of the job itself to an `ATTIC_CI_*` variable the helper
 * (or the helper step) reads, and the values GitLab renders from them are
 * what the helper's own parser makes of them. Static: no job runs.
 */

import { parseAllDocuments } from "yaml";
import { templateKey } from "../../release/template_key.ts";
import { engineConfig } from "../../src/options/engine_config.ts";
import {
  BUILD_OPTIONS,
  ENGINE_OPTIONS,
  type OptionSpec,
  variableName,
} from "../../src/options/option_specs.ts";
import { parseCommandArgs } from "../../src/options/parse_args.ts";
import { assert, assertEquals, assertIncludes } from "../helpers/assert.ts";
import { ROOT } from "../helpers/nix.ts";

const TEMPLATES = ["nix-build", "watch-store", "use"] as const;

/** The templates that push (and so have the pushing inputs). */
const PUSHING = ["nix-build", "watch-store"] as const;

/** Inputs that shape the job itself rather than the helper. */
const JOB_KEYS = new Set(["job_name", "stage", "needs", "image"]);

/** Variables the helper step reads (the download), not the helper's option parser. */
const HELPER_STEP = new Set([
  "ATTIC_CI_HELPER_VERSION",
  "ATTIC_CI_HELPER_PROJECT",
  "ATTIC_CI_HELPER_URL",
  "ATTIC_CI_HELPER_PUBLIC_KEY",
]);

interface InputSpec {
  type?: string;
  default?: unknown;
  options?: unknown[];
}

type Variable = string | { value: string; expand?: boolean };

interface Template {
  inputs: Record<string, InputSpec>;
  variables: Record<string, Variable>;
  /** The helper step's script. */
  script: string;
}

async function template(name: string): Promise<Template> {
  const text = await Deno.readTextFile(`${ROOT}/templates/${name}.yml`);
  const [header, body] = parseAllDocuments(text).map((doc) => doc.toJS());
  const job = body["$[[ inputs.job_name ]]"] as {
    variables: Record<string, Variable>;
    before_script: string[];
  };
  return {
    inputs: header.spec.inputs,
    variables: job.variables,
    script: job.before_script[0]!,
  };
}

function textOf(variable: Variable): string {
  return typeof variable === "string" ? variable : variable.value;
}

const OPTIONS: readonly OptionSpec[] = [...ENGINE_OPTIONS, ...BUILD_OPTIONS];

function optionOf(variable: string): OptionSpec | undefined {
  return OPTIONS.find((spec) => variableName(spec.flag) === variable);
}

/** The job's variables as GitLab renders them for `values` (defaults for the rest). */
function rendered(t: Template, values: Record<string, unknown>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, variable] of Object.entries(t.variables)) {
    env[name] = textOf(variable).replaceAll(/\$\[\[ inputs\.([a-z_]+) \]\]/g, (_, input) => {
      const value = input in values ? values[input] : t.inputs[input]?.default;
      return typeof value === "string" ? value : JSON.stringify(value);
    });
  }
  return env;
}

for (const name of TEMPLATES) {
  Deno.test(`${name}: every input that is not a job key reaches the helper as its ATTIC_CI_* variable`, async () => {
    const t = await template(name);
    for (const [input, spec] of Object.entries(t.inputs)) {
      if (JOB_KEYS.has(input)) continue;
      const variable = `ATTIC_CI_${input.toUpperCase()}`;
      const given = t.variables[variable];
      assert(given !== undefined, `${name}: input ${input} has no variable ${variable}`);
      assertIncludes(textOf(given), `$[[ inputs.${input} ]]`, `${name}: ${variable}`);
      if (HELPER_STEP.has(variable)) {
        assertIncludes(t.script, `\${${variable}:`, `${name}: the helper step reads ${variable}`);
        continue;
      }
      const option = optionOf(variable);
      assert(option !== undefined, `${name}: no helper option reads ${variable}`);
      assertEquals(
        option.type === "boolean",
        spec.type === "boolean",
        `${name}: input ${input} and option --${option.flag} disagree on being a boolean`,
      );
    }
  });
}

for (const name of PUSHING) {
  Deno.test(`${name}: the helper reads attic_client, keep_endpoint, pull and strict as the inputs say`, async () => {
    const t = await template(name);
    const target = { cache: "main", server: "https://attic.example.com/" };
    const configOf = async (values: Record<string, unknown>) => {
      const env = rendered(t, { ...target, ...values });
      return engineConfig(await parseCommandArgs([], ENGINE_OPTIONS, env), env);
    };

    const defaults = await configOf({});
    assertEquals(
      [defaults.atticClient, defaults.keepEndpoint, defaults.strict, defaults.pull],
      ["auto", false, false, true],
    );
    assertEquals(t.inputs.attic_client?.options, ["cli", "api", "auto"]);
    for (const choice of t.inputs.attic_client!.options!) {
      assertEquals((await configOf({ attic_client: choice })).atticClient, choice);
    }
    for (const on of [true, false]) {
      const c = await configOf({ keep_endpoint: on, strict: on, pull: on });
      assertEquals([c.keepEndpoint, c.strict, c.pull], [on, on, on], `booleans: ${on}`);
    }
  });
}

Deno.test("every template trusts the same helper_public_key by default: a Nix public key of 32 bytes", async () => {
  const keys = await Promise.all(
    TEMPLATES.map(async (name) => (await template(name)).inputs.helper_public_key?.default),
  );
  assertEquals(new Set(keys).size, 1, `the templates disagree: ${keys.join(", ")}`);
  const key = String(keys[0]);
  assertEquals(await templateKey(ROOT), key);
  const [name, base64] = key.split(":");
  assert(name !== undefined && name.length > 0, key);
  assertEquals(atob(base64 ?? "").length, 32, `${key} is not an Ed25519 public key`);
  for (const name of TEMPLATES) {
    assertEquals(
      textOf((await template(name)).variables.ATTIC_CI_HELPER_PUBLIC_KEY!),
      "$[[ inputs.helper_public_key ]]",
    );
  }
});
