/**
 * Reads options from flags and `ATTIC_CI_*` variables (a flag beats the
 * variable), remembering where each value came from so an error can name the
 * input the user actually wrote.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { ConfigError } from "../errors.ts";
import { type OptionSpec, variableName } from "./option_specs.ts";

/** One option's raw value and its origin. */
export interface RawValue {
  readonly value: string | boolean | string[];
  /** `--flag`, `ATTIC_CI_FLAG`, a saved session, or the built-in default. */
  readonly source: string;
}

/** Parsed command line: raw values by flag, and the positional arguments. */
export interface ParsedArgs {
  readonly values: ReadonlyMap<string, RawValue>;
  readonly positionals: string[];
}

/** Layers consulted after flags and variables, e.g. a saved session's options. */
export interface ParseLayers {
  /** Values that beat built-in defaults but not flags or variables. */
  readonly saved?: Readonly<Record<string, string | boolean | string[]>>;
  /** Where `saved` came from, for messages. */
  readonly savedSource?: string;
}

const TRUE = new Set(["1", "true", "yes", "on"]);
const FALSE = new Set(["0", "false", "no", "off", ""]);

/**
 * Parses `argv` against `specs`. Unknown flags, missing values and bad
 * boolean variables throw {@linkcode ConfigError}. Asynchronous only because
 * a list variable written as YAML loads the YAML parser on demand.
 */
export async function parseCommandArgs(
  argv: readonly string[],
  specs: readonly OptionSpec[],
  env: Readonly<Record<string, string | undefined>>,
  layers: ParseLayers = {},
): Promise<ParsedArgs> {
  const options: Record<string, { type: "string" | "boolean"; multiple?: boolean }> = {};
  for (const spec of specs) {
    if (spec.variableOnly) continue;
    options[spec.flag] = { type: spec.type, ...(spec.multiple ? { multiple: true } : {}) };
  }
  let parsed;
  try {
    // allowNegative: every boolean also reads `--no-<flag>` (`--no-pull`).
    parsed = parseArgs({
      args: [...argv],
      options,
      strict: true,
      allowPositionals: true,
      allowNegative: true,
    });
  } catch (error) {
    throw argError(error);
  }
  const values = new Map<string, RawValue>();
  for (const spec of specs) {
    const fromFlag = (parsed.values as Record<string, string | boolean | string[] | undefined>)[
      spec.flag
    ];
    if (fromFlag !== undefined) {
      const source = fromFlag === false ? `--no-${spec.flag}` : `--${spec.flag}`;
      values.set(spec.flag, { value: fromFlag, source });
      continue;
    }
    // A flag-only option skips the variable and the saved session, not its default.
    if (!spec.flagOnly) {
      const variable = variableName(spec.flag);
      const fromEnv = env[variable];
      if (fromEnv !== undefined && !(spec.type === "string" && fromEnv === "")) {
        const value = await fromVariable(spec, variable, fromEnv);
        values.set(spec.flag, { value, source: variable });
        continue;
      }
      const saved = layers.saved?.[spec.flag];
      if (saved !== undefined) {
        values.set(spec.flag, { value: saved, source: layers.savedSource ?? "saved session" });
        continue;
      }
    }
    if (spec.default !== undefined) {
      const value = spec.type === "boolean" ? spec.default === "true" : spec.default;
      values.set(spec.flag, { value, source: `default of --${spec.flag}` });
    }
  }
  return { values, positionals: parsed.positionals };
}

async function fromVariable(
  spec: OptionSpec,
  variable: string,
  text: string,
): Promise<string | boolean | string[]> {
  if (spec.type === "boolean") {
    const lower = text.trim().toLowerCase();
    if (TRUE.has(lower)) return true;
    if (FALSE.has(lower)) return false;
    throw new ConfigError(variable, `expected true or false, got "${text}"`);
  }
  if (spec.list) return await listFromVariable(variable, text);
  if (spec.multiple) return text.split("\n").map((l) => l.trim()).filter((l) => l.length > 0);
  return text;
}

/**
 * A list variable: a YAML flow sequence (JSON is one) or one value per line.
 * The failsafe schema keeps every item a string exactly as written, so
 * `[1.10]` stays "1.10" and nothing is ever evaluated. A JSON array of
 * strings (what GitLab renders an array input as) reads the same either way
 * and is read without the YAML parser, which is loaded only for the rest:
 * loading it is a sixth of the helper's start-up.
 */
export async function listFromVariable(variable: string, text: string): Promise<string[]> {
  const trimmed = text.trim();
  if (!trimmed.startsWith("[")) {
    return trimmed.split("\n").map((l) => l.trim()).filter((l) => l.length > 0);
  }
  const json = jsonStrings(trimmed);
  if (json !== null) return json.filter((item) => item.length > 0);
  let items: unknown;
  try {
    const { parse: parseYaml } = await import("yaml");
    items = parseYaml(trimmed, { schema: "failsafe" });
  } catch (error) {
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new ConfigError(
      variable,
      `is not a valid list (${reason})`,
      'write a YAML or JSON list such as [".#a", ".#b"], or one value per line',
    );
  }
  if (!Array.isArray(items) || !items.every((item) => typeof item === "string")) {
    throw new ConfigError(
      variable,
      "must be a list of strings",
      'write a YAML or JSON list such as [".#a", ".#b"], or one value per line',
    );
  }
  return items.filter((item) => item.length > 0);
}

/** A JSON array of strings, or null for any other text (YAML decides those). */
function jsonStrings(text: string): string[] | null {
  let items: unknown;
  try {
    items = JSON.parse(text);
  } catch {
    return null;
  }
  return Array.isArray(items) && items.every((item) => typeof item === "string") ? items : null;
}

function argError(error: unknown): ConfigError {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code;
  const flag = /'(-[^']*)'/.exec(message)?.[1] ?? "arguments";
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    return new ConfigError(flag, "unknown option", "see --help for the options of this command");
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    const name = flag.split(" ")[0] ?? flag;
    if (message.includes("does not take an argument")) {
      return new ConfigError(name, "takes no value", `write ${name} alone (or its --no- form)`);
    }
    return new ConfigError(name, "needs a value", "e.g. --flag VALUE");
  }
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
    return new ConfigError(flag, "unexpected argument", "see --help");
  }
  return new ConfigError("arguments", message);
}

/** Splits a command line at the first `--`: our arguments, and the ones after it (null without `--`). */
export function splitAtDashes(
  argv: readonly string[],
): { ours: readonly string[]; after: readonly string[] | null } {
  const at = argv.indexOf("--");
  return at < 0
    ? { ours: argv, after: null }
    : { ours: argv.slice(0, at), after: argv.slice(at + 1) };
}
