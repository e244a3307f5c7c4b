/**
 * `attic-ci render REPORT.json [--out FILE]`: a saved JSON report drawn as
 * its timeline picture (the SVG `--timeline` writes), on standard output or
 * into FILE. Needs no Nix, no cache and no token: any machine can draw a
 * job's report from its artifacts.
 *
 * @module
 */

import { ConfigError } from "../errors.ts";
import { commandLineOf } from "../options/command_specs.ts";
import { readSavedReport, SavedReportError } from "../report/saved_report.ts";
import { timelinePicture } from "../report/timeline_picture.ts";
import { readArguments } from "../session/command_config.ts";
import { DONE, type PlainCommand } from "./outcome.ts";

const LINE = commandLineOf("render");

/** Runs `render`. */
export const renderCommand: PlainCommand = async (argv, ctx) => {
  const args = await readArguments(argv, ctx, { ...LINE, positionals: true });
  if (args === null) return DONE;
  const [file, ...extra] = args.positionals;
  if (file === undefined) {
    throw new ConfigError("REPORT.json", "is missing", "attic-ci render REPORT.json [--out FILE]");
  }
  if (extra[0] !== undefined) {
    throw new ConfigError(extra[0], "unexpected argument", "render draws one report at a time");
  }
  const path = resolve(ctx.system.cwd, file);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new ConfigError(file, `cannot be read (${(error as Error).message})`);
  }
  let svg: string;
  try {
    svg = timelinePicture(readSavedReport(text));
  } catch (error) {
    if (!(error instanceof SavedReportError)) throw error;
    throw new ConfigError(file, error.message, "give a report written by --report or --artifacts");
  }
  const out = args.values.get("out")?.value;
  if (typeof out === "string" && out !== "") {
    await Deno.writeTextFile(resolve(ctx.system.cwd, out), svg);
    ctx.logger.info(`timeline picture of ${file} written to ${out}`);
  } else {
    ctx.system.stdout(svg);
  }
  return DONE;
};

function resolve(cwd: string, file: string): string {
  return file.startsWith("/") ? file : `${cwd}/${file}`;
}
