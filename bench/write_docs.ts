/**
 * Updates docs/benchmarks.md and docs/benchmarks.svg from results. The page is
 * written by hand; only the parts between `<!-- bench:NAME -->` and
 * `<!-- /bench:NAME -->` markers (the headline and the tables) are replaced,
 * and everything outside them is left byte for byte.
 *
 * @module
 */

import { checkGoals, goalTable } from "./goals.ts";
import { README_SECTION, readmeSection } from "./readme_section.ts";
import { renderChart } from "./render_chart.ts";
import { clientTable, failureTable, timingTable, toMarkdown } from "./render_table.ts";
import { type BenchResults, headline, scenarioTitle } from "./results.ts";
import { describeNetwork } from "./network.ts";
import { median } from "./stats.ts";
import type { ScenarioSummary } from "./summary.ts";
import type { ScenarioResult } from "./suite.ts";

/**
 * Replace the text between the markers of each section in `sections` (keyed by
 * NAME) with its new content, framed by blank lines.
 *
 * @example
 * ```ts
 * replaceMarkedSections("a\n<!-- bench:x -->\nold\n<!-- /bench:x -->\nb\n", { x: "new" });
 * // "a\n<!-- bench:x -->\n\nnew\n\n<!-- /bench:x -->\nb\n"
 * ```
 */
export function replaceMarkedSections(
  text: string,
  sections: Readonly<Record<string, string>>,
  options: {
    /** The document, for error messages. @default "the document" */
    readonly name?: string;
  } = {},
): string {
  let out = text;
  for (const [section, content] of Object.entries(sections)) {
    const start = `<!-- bench:${section} -->`;
    const end = `<!-- /bench:${section} -->`;
    for (const marker of [start, end]) {
      const count = out.split(marker).length - 1;
      if (count !== 1) {
        throw new Error(
          `Cannot update ${options.name ?? "the document"} as the marker ${marker} must appear ` +
            `once: current count is ${count}`,
        );
      }
    }
    const from = out.indexOf(start) + start.length;
    const to = out.indexOf(end);
    if (to < from) {
      throw new Error(
        `Cannot update ${options.name ?? "the document"} as ${end} comes before ${start}`,
      );
    }
    out = `${out.slice(0, from)}\n\n${content}\n\n${out.slice(to)}`;
  }
  return out;
}

/**
 * Update `benchmarks.md` (between its markers), rewrite `benchmarks.svg` in
 * `docsDir`, and update the README beside it (between its `bench:readme`
 * markers).
 *
 * @example
 * ```ts
 * await writeDocs(results, "/work/main/docs");
 * ```
 */
export async function writeDocs(results: BenchResults, docsDir: string): Promise<void> {
  const page = `${docsDir}/benchmarks.md`;
  const text = await Deno.readTextFile(page);
  const updated = replaceMarkedSections(text, markdownSections(results), {
    name: "docs/benchmarks.md",
  });
  const chart = await renderChart(results);
  await Deno.writeTextFile(page, updated);
  await Deno.writeTextFile(`${docsDir}/benchmarks.svg`, chart);
  const readme = `${docsDir}/../README.md`;
  await Deno.writeTextFile(
    readme,
    replaceMarkedSections(await Deno.readTextFile(readme), {
      [README_SECTION]: readmeSection(results),
    }, { name: "README.md" }),
  );
}

/**
 * The generated parts of docs/benchmarks.md: headline, machine, parameters,
 * results, and the attic CLI beside the built-in client.
 */
export function markdownSections(results: BenchResults): Record<string, string> {
  const m = results.machine;
  const machine = [
    "| | |",
    "|---|---|",
    `| CPU | ${m.cpu}, ${m.cores} cores |`,
    `| memory | ${m.memoryGiB} GiB |`,
    `| OS | ${m.os}, Linux ${m.kernel} |`,
    `| Nix | ${m.nix} (single-user, no daemon, no sandbox) |`,
    `| Deno | ${m.deno} |`,
    `| attic-ci | ${m.atticCi} (run from source with \`deno run\`; sources ${m.atticCiSources}) |`,
    `| attic stand-in | tests/attic_double (sources ${m.atticDoubleSources}), for (a)–(e) |`,
    ...(m.atticServerSources === undefined ? [] : [
      `| Attic server stand-in | tests/attic_server (sources ${m.atticServerSources}), for (f) |`,
    ]),
    `| run | ${results.startedAt} → ${results.endedAt}, preset \`${results.preset}\` |`,
  ];
  const parameters = [
    "| scenario | derivations | layers | builders | build / drv (mean) | output / drv (mean) | total build (1 core) | critical path | total output | network | rounds |",
    "|---|---:|---:|---|---:|---:|---:|---:|---:|---|---:|",
    ...results.scenarios.map(({ result: { scenario: s, plan, loopsPerSecond } }) =>
      `| ${s.id} | ${s.shape.nodes} | ${s.shape.layers} | ${
        s.builders === "cpu"
          ? `compute${
            loopsPerSecond ? ` (${Math.round(loopsPerSecond / 1000)}k loops / CPU s)` : ""
          }`
          : "sleep"
      } | ${s.shape.buildMs} ms | ${Math.round(s.shape.outputBytes / 1024)} KiB | ${
        plan.totalBuildSeconds.toFixed(1)
      } s | ${plan.criticalPathSeconds.toFixed(1)} s | ${plan.totalOutputMiB.toFixed(1)} MiB | ${
        describeNetwork(s.network)
      } | ${s.rounds} |`
    ),
  ];
  const scenarios = results.scenarios.map(({ result, summary }) => {
    const table = toMarkdown(summary.failing ? failureTable(summary) : timingTable(summary));
    const notes = scenarioNotes(result, summary).map((note) => `- ${note}`);
    return [`### ${scenarioTitle(result)}`, table, ...(notes.length ? [notes.join("\n")] : [])]
      .join("\n\n");
  });
  const clients = clientTable(
    results.scenarios.map((s) => ({ title: scenarioTitle(s.result), summary: s.summary })),
  );
  return {
    headline: `**Headline:** ${headline(results)}`,
    machine: machine.join("\n"),
    parameters: parameters.join("\n"),
    results: scenarios.join("\n\n"),
    clients: clients === null
      ? "*No scenario of these results ran both (d) and (f).*"
      : toMarkdown(clients),
    goals: toMarkdown(goalTable(checkGoals(results.scenarios))),
  };
}

/**
 * The numbers under a scenario's table: what one push of the whole closure
 * cost per path (so the stand-in's own local work is visible), the helper's
 * start-up, its own report and, for the built-in client, the test server's
 * counts.
 */
export function scenarioNotes(result: ScenarioResult, summary: ScenarioSummary): string[] {
  const notes: string[] = [];
  const network = result.scenario.network;
  const endPush = result.runs.filter((r) =>
    r.strategy === "b" && r.asExpected && r.buildSeconds !== null && r.finished > 0
  );
  if (!summary.failing && endPush.length > 0) {
    const perPath = median(
      endPush.map((r) => ((r.doneSeconds - r.buildSeconds!) * 1000) / r.finished),
    );
    const paths = median(endPush.map((r) => r.finished));
    const modelled = network.latencyMs / paths +
      (network.bandwidthBps === null
        ? 0
        : (result.plan.totalOutputMiB * 1024 * 1024 * 1000) / network.bandwidthBps /
          result.plan.nodes);
    notes.push(
      `One \`attic push\` of the whole closure after the build (b) took ${perPath.toFixed(0)} ms ` +
        `per path, of which about ${modelled.toFixed(0)} ms is the modelled network; the rest is ` +
        "the stand-in's local work (" +
        (network.bandwidthBps === null
          ? "one `nix copy` of all paths into the file:// cache)."
          : "a `nix copy` per path into the file:// cache)."),
    );
  }
  for (const s of summary.strategies) {
    if (s.helper === null || s.startup === null) continue;
    const setup = s.helper.setupSeconds ?? null;
    const cpu = s.helper.cpuPerPathMs ?? null;
    notes.push(
      `(${s.strategy}) ${s.name}: \`nix-build\` started ${(s.startup.median * 1000).toFixed(0)} ` +
        "ms after the helper was spawned" +
        (setup === null
          ? " (Deno start-up, set-up)"
          : `: ${((s.startup.median - setup.median) * 1000).toFixed(0)} ms its own start-up ` +
            (s.strategy === "d" || s.strategy === "e"
              ? `(Deno's, loading its code), ${(setup.median * 1000).toFixed(0)} ms its set-up ` +
                "(the bootstrap attempt, the store watch)"
              : "(Deno's, loading its code, while the cache's configuration was asked), " +
                `${(setup.median * 1000).toFixed(0)} ms its set-up (what was left of that ` +
                "round trip, the pull side, the store watch)")) +
        "; that delay is part of its build time" +
        (cpu === null
          ? "."
          : `. After the build started, the helper used ${cpu.median.toFixed(1)} ms of CPU ` +
            "per path it pushed."),
    );
  }
  for (const s of summary.strategies) {
    const h = s.helper;
    if (h === null) continue;
    const med = (x: { median: number } | null, digits = 0) =>
      x === null ? "?" : x.median.toFixed(digits);
    const d = s.detection;
    notes.push(
      `(${s.strategy}) ${s.name}: median ${med(h.incremental)} paths pushed incrementally, ` +
        `${med(h.finalPush)} by the final push; drain ${med(h.drainSeconds, 1)} s; ` +
        `${h.failed} failed; ${h.foreignPaths} paths of other processes on the machine pushed too` +
        (d === null ? "." : `; detection over ${d.samples} paths: p50 ${d.p50.toFixed(0)} ms, ` +
          `p99 ${d.p99.toFixed(0)} ms, max ${d.max.toFixed(0)} ms` +
          (d.unobserved > 0 ? ` (${d.unobserved} not seen by the observer)` : "") + "."),
    );
  }
  for (const s of summary.strategies) {
    const v = s.server;
    if (v === null) continue;
    const med = (x: { median: number } | null, digits = 0) =>
      x === null ? "?" : x.median.toFixed(digits);
    notes.push(
      `(${s.strategy}) ${s.name}: the test server answered a median ${med(v.requests)} API ` +
        `requests per run (${med(v.missingPaths)} get-missing-paths, ${med(v.uploads)} uploads ` +
        `of ${med(v.uploadedMiB, 1)} MiB in all), ${v.refused} refused; ` +
        `${s.helper?.requestRetries ?? 0} request retries; the server's own process used ` +
        `${med(v.cpuSeconds, 1)} s of CPU on this machine (a real server would not).`,
    );
  }
  return notes;
}
