/**
 * Text made safe for SVG and HTML: the five markup characters as entities,
 * and the characters XML cannot hold at all replaced.
 */

import { escapeMarkup } from "../../src/report/markup.ts";
import { assertEquals } from "../helpers/assert.ts";

Deno.test("escapeMarkup() turns & < > \" ' into entities and leaves other text as it is", () => {
  assertEquals(
    escapeMarkup(`a&b <c d="e" f='g'> → ü`),
    "a&amp;b &lt;c d=&quot;e&quot; f=&#39;g&#39;&gt; → ü",
  );
  assertEquals(escapeMarkup("&amp;"), "&amp;amp;");
});

Deno.test("escapeMarkup() replaces what XML 1.0 cannot hold: controls, lone surrogates, U+FFFE", () => {
  assertEquals(escapeMarkup("a\u0000b\u001bc\td\ne"), "a\uFFFDb\uFFFDc\td\ne");
  assertEquals(escapeMarkup("x\uD800y\uDC00z"), "x\uFFFDy\uFFFDz");
  assertEquals(escapeMarkup("\uD83D\uDE00\uFFFE"), "\uD83D\uDE00\uFFFD");
});
