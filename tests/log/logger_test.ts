/**
 * The log's GitLab sections: collapsed, named `attic_ci_*`, and each marker on
 * a line of its own, so the line after a section (the summary) is never
 * swallowed by the marker.
 */

import { TextLogger } from "../../src/log/logger.ts";
import { assertEquals } from "../helpers/assert.ts";

Deno.test("TextLogger ends every section marker with a newline, so the next line stands alone", () => {
  let text = "";
  const logger = new TextLogger((t) => text += t, { gitlabSections: true });
  logger.sectionStart("final_push", "final push");
  logger.info("inside");
  logger.sectionEnd("final_push");
  logger.plain("watch-store pushed 3 store paths incrementally");
  // Control characters made visible, so the expectations read as what GitLab parses.
  const lines = text.replaceAll("\x1b", "<ESC>").replaceAll("\r", "<CR>").split("\n");
  assertEquals(lines.length, 5);
  assertEquals(
    /^<ESC>\[0Ksection_start:\d+:attic_ci_final_push\[collapsed=true\]<CR><ESC>\[0Kfinal push$/
      .test(
        lines[0]!,
      ),
    true,
    JSON.stringify(lines[0]),
  );
  assertEquals(lines[1], "attic-ci: inside");
  assertEquals(/^<ESC>\[0Ksection_end:\d+:attic_ci_final_push<CR><ESC>\[0K$/.test(lines[2]!), true);
  assertEquals(lines[3], "watch-store pushed 3 store paths incrementally");
});

Deno.test("TextLogger without GitLab sections prints the title as a line and no markers", () => {
  let text = "";
  const logger = new TextLogger((t) => text += t);
  logger.sectionStart("x", "a title");
  logger.sectionEnd("x");
  assertEquals(text, "attic-ci: a title\n");
  // Callers print long detail (one line per push call) only where it folds.
  assertEquals(logger.folds, false);
  assertEquals(new TextLogger(() => {}, { gitlabSections: true }).folds, true);
});
