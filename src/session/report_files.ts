/**
 * The report's files, as the configuration asks: the JSON (`--report`), the
 * timeline picture (`--timeline`), OpenMetrics (`--metrics`), the dotenv of
 * the counts (`--dotenv`), and all four in the job's artifacts folder
 * (`--artifacts`: `attic-ci/` in the working directory, `$CI_PROJECT_DIR` in
 * a GitLab job, where the components' `artifacts:paths` and reports find
 * them). A file given by name that cannot
 * be written fails as before; the artifacts, which the components ask for on
 * every job, only warn: a picture never fails a build.
 *
 * @module
 */

import type { EngineConfig } from "../options/engine_config.ts";
import { dotenv } from "../report/dotenv.ts";
import { openMetrics } from "../report/openmetrics.ts";
import type { Report } from "../report/report.ts";
import { timelinePicture } from "../report/timeline_picture.ts";
import type { CommandContext } from "./context.ts";

/** The file names `--artifacts` writes, in its folder (the templates' `artifacts:` name them). */
export const ARTIFACT_FILES = {
  report: "report.json",
  timeline: "timeline.svg",
  metrics: "metrics.txt",
  dotenv: "attic-ci.env",
} as const;

/** What each kind of file holds. */
const RENDER: Record<keyof typeof ARTIFACT_FILES, (report: Report) => string> = {
  report: (report) => JSON.stringify(report, null, 2) + "\n",
  timeline: (report) => timelinePicture(report),
  metrics: (report) => openMetrics(report),
  dotenv: (report) => dotenv(report),
};

/** Writes the report's files the configuration asks for; see the module documentation. */
export async function writeReportFiles(
  ctx: CommandContext,
  report: Report,
  config: Pick<
    EngineConfig,
    "reportFile" | "timelineFile" | "metricsFile" | "dotenvFile" | "artifactsDir"
  >,
): Promise<void> {
  const named: [keyof typeof ARTIFACT_FILES, string | null][] = [
    ["report", config.reportFile],
    ["timeline", config.timelineFile],
    ["metrics", config.metricsFile],
    ["dotenv", config.dotenvFile],
  ];
  for (const [kind, file] of named) {
    if (file !== null) await Deno.writeTextFile(resolve(ctx, file), RENDER[kind](report));
  }
  if (config.artifactsDir === null) return;
  const dir = resolve(ctx, config.artifactsDir);
  try {
    await Deno.mkdir(dir, { recursive: true });
    for (const [kind, name] of Object.entries(ARTIFACT_FILES)) {
      await Deno.writeTextFile(
        `${dir}/${name}`,
        RENDER[kind as keyof typeof ARTIFACT_FILES](report),
      );
    }
    ctx.logger.info(
      `report, timeline picture, metrics and dotenv written to ${dir}/ (the job's artifacts)`,
    );
  } catch (error) {
    ctx.logger.warn(
      `cannot write the report's artifacts to ${dir}/: ${
        error instanceof Error ? error.message : error
      }; the report above stands`,
    );
  }
}

/** `file` against the command's working directory. */
function resolve(ctx: CommandContext, file: string): string {
  return file.startsWith("/") ? file : `${ctx.system.cwd}/${file}`;
}
