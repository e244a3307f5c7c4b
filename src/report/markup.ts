/**
 * Text made safe to put into SVG (XML) and HTML, in text and in attribute
 * values alike. Store path names, failure messages and targets reach the
 * timeline picture from a report that anyone could have written: every string
 * goes through {@linkcode escapeMarkup} on its way in.
 *
 * @module
 */

/**
 * Characters XML 1.0 does not allow at all, not even escaped: C0 controls
 * other than tab, newline and carriage return, lone surrogates, U+FFFE and
 * U+FFFF.
 */
const NOT_XML =
  // deno-lint-ignore no-control-regex -- the control characters are what it removes
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * `text` with `& < > " '` as entities and the characters XML cannot hold
 * replaced by U+FFFD, so it stays text wherever it is put.
 *
 * @example
 * ```ts
 * escapeMarkup('<script>alert("x")</script>'); // "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
 * ```
 */
export function escapeMarkup(text: string): string {
  return text.replace(NOT_XML, "\uFFFD").replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}
