/**
 * Help text, derived from the option table so it always matches the parser.
 *
 * @module
 */

import {
  ATTRIBUTION_OPTIONS,
  BOOTSTRAP_OPTIONS,
  GLOBAL_OPTIONS,
  LOCATION_OPTIONS,
  type OptionSpec,
  PULL_OPTIONS,
  PUSH_OPTIONS,
  RESULT_OPTIONS,
  TARGET_OPTIONS,
  variableName,
} from "./option_specs.ts";

/** A titled group of options in a command's help. */
export interface HelpGroup {
  readonly title: string;
  readonly options: readonly OptionSpec[];
}

/** The option groups of every command that streams or pushes (exec, build, start, stop, push, watch). */
export const ENGINE_HELP_GROUPS: readonly HelpGroup[] = [
  { title: "Where to push", options: TARGET_OPTIONS },
  { title: "Reading from the cache", options: PULL_OPTIONS },
  { title: "This job's paths", options: ATTRIBUTION_OPTIONS },
  { title: "Attic client bootstrap", options: BOOTSTRAP_OPTIONS },
  { title: "State and store", options: LOCATION_OPTIONS },
  { title: "Pushing", options: PUSH_OPTIONS },
  { title: "The report", options: RESULT_OPTIONS },
  { title: "Other", options: GLOBAL_OPTIONS },
];

/** One command's help: usage line, description, then its options. */
export function commandHelp(
  usage: string,
  description: string,
  groups: readonly HelpGroup[],
): string {
  const lines = [`Usage: ${usage}`, "", description, ""];
  for (const group of groups) {
    if (group.options.length === 0) continue;
    lines.push(`${group.title}:`);
    for (const spec of group.options) {
      const flag = spec.variableOnly
        ? `  ${variableName(spec.flag)}`
        : `  --${spec.flag}${spec.metavar ? ` ${spec.metavar}` : ""}`;
      const extra = [
        spec.default !== undefined ? `default ${spec.default}` : null,
        spec.flagOnly || spec.variableOnly ? null : variableName(spec.flag),
      ].filter((x) => x !== null).join("; ");
      lines.push(flag.padEnd(34) + spec.help + (extra ? ` [${extra}]` : ""));
    }
    lines.push("");
  }
  return lines.join("\n");
}
