/**
 * The files and the variable that pass between attic-ci processes: each is
 * read back as written, and a corrupt, foreign or other-version one is one
 * clear error naming it (exit 2), never a silent default.
 */

import { StateFileError } from "../../src/errors.ts";
import { emptySummary } from "../../src/report/session_summary.ts";
import { readSessionRecord, writeSessionRecord } from "../../src/session/session_record.ts";
import {
  BOOTSTRAP_HANDOFF_SCHEMA,
  BOOTSTRAP_HANDOFF_VARIABLE,
  bootstrapHandOff,
} from "../../src/session/watcher_process.ts";
import { readWatcherReport, writeWatcherReport } from "../../src/session/watcher_report.ts";
import { readStatus } from "../../src/session/watcher_status.ts";
import { stateFiles } from "../../src/state/state_dir.ts";
import {
  assert,
  assertEquals,
  assertIncludes,
  assertRejects,
  assertThrows,
} from "../helpers/assert.ts";
import { tempDir } from "../helpers/nix.ts";

async function withState(fn: (files: ReturnType<typeof stateFiles>) => Promise<void>) {
  const dir = await tempDir();
  try {
    await fn(stateFiles(dir));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("session.json and watcher-report.json read back as written; a missing one is null", () =>
  withState(async (files) => {
    assertEquals(await readSessionRecord(files.session), null);
    await writeSessionRecord(files.session, { startedAt: 1, pid: 2, options: { cache: "main" } });
    assertEquals(await readSessionRecord(files.session), {
      schema: "attic-ci/session@1",
      startedAt: 1,
      pid: 2,
      options: { cache: "main" },
    });
    const summary = { ...emptySummary(5), incremental: 3 };
    await writeWatcherReport(files, 42, summary);
    assertEquals(await readWatcherReport(files, 42), summary);
    assertEquals(await readWatcherReport(files, 43), null, "another watcher's report is not ours");
  }));

Deno.test("a corrupt, foreign or other-version state file is a StateFileError naming the file and --state-dir", () =>
  withState(async (files) => {
    for (
      const [text, part] of [
        ["{not json", "is not JSON"],
        ['{"startedAt": 1}', "has no schema attic-ci/session@1"],
        ['{"schema": "attic-ci/session@2", "startedAt": 1}', "written by another attic-ci version"],
        [
          '{"schema": "attic-ci/session@1", "startedAt": "soon", "pid": 1, "options": {}}',
          "startedAt",
        ],
      ] as const
    ) {
      await Deno.writeTextFile(files.session, text);
      const error = await assertRejects(() => readSessionRecord(files.session), part);
      assert(error instanceof StateFileError, error.name);
      assertIncludes(error.message, `--state-dir: ${files.session} `);
    }
    await Deno.writeTextFile(files.status, '{"schema": "attic-ci/status@1", "pid": "x"}');
    await assertRejects(() => readStatus(files), "is not a valid attic-ci/status@1");
  }));

Deno.test("the bootstrap hand-off variable is read back, and refused when it is not one", () => {
  const handed = { mode: "path" as const, client: "/bin/attic", reason: "on PATH", seconds: 0.1 };
  assertEquals(bootstrapHandOff({}), null);
  assertEquals(
    bootstrapHandOff({
      [BOOTSTRAP_HANDOFF_VARIABLE]: JSON.stringify({ schema: BOOTSTRAP_HANDOFF_SCHEMA, ...handed }),
    }),
    handed,
  );
  const error = assertThrows(
    () => bootstrapHandOff({ [BOOTSTRAP_HANDOFF_VARIABLE]: JSON.stringify(handed) }),
    `the variable ${BOOTSTRAP_HANDOFF_VARIABLE} has no schema`,
  );
  assert(error instanceof StateFileError);
});
