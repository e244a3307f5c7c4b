/**
 * Help text, derived from the option table so it always matches the parser.
 *
 * @module
 */

import { type OptionSpec, variableName } from "./option_specs.ts";

/** One command's help: usage line, description, then its options. */
export function commandHelp(
  usage: string,
  description: string,
  groups: readonly { title: string; options: readonly OptionSpec[] }[],
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
