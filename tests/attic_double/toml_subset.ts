/**
 * A small TOML subset, enough for attic's `config.toml`: comments, `[a.b]`
 * table headers (bare or quoted keys), `key = value` lines with dotted keys,
 * and values that are strings (basic `"..."` with escapes, literal `'...'`),
 * integers or booleans. Arrays, inline tables, multi-line strings, floats and
 * dates are rejected with a {@link TomlError} that says so.
 *
 * @module
 */

/** A parsed TOML table. */
export interface TomlTable {
  [key: string]: TomlValue;
}

/** A value the subset can hold. */
export type TomlValue = string | number | boolean | TomlTable;

/** A syntax error, located like the `toml` crate reports it. */
export class TomlError extends Error {
  override name = "TomlError";
  constructor(
    readonly reason: string,
    readonly line: number,
    readonly column: number,
    readonly lineText: string,
  ) {
    super(
      `TOML parse error at line ${line}, column ${column}\n  |\n${line} | ${lineText}\n  |${
        " ".repeat(column)
      }^\n${reason}`,
    );
  }
}

const BARE_KEY = /^[A-Za-z0-9_-]+/;

class LineScanner {
  pos = 0;
  constructor(readonly text: string, readonly lineNo: number) {}

  fail(reason: string): never {
    throw new TomlError(reason, this.lineNo, this.pos + 1, this.text);
  }

  skipSpaces(): void {
    while (this.text[this.pos] === " " || this.text[this.pos] === "\t") this.pos++;
  }

  /** Skips spaces, then accepts only end of line or a comment. */
  expectEnd(): void {
    this.skipSpaces();
    if (this.pos < this.text.length && this.text[this.pos] !== "#") {
      this.fail("expected newline, `#`");
    }
  }

  peek(): string | undefined {
    return this.text[this.pos];
  }

  key(): string {
    this.skipSpaces();
    const c = this.peek();
    if (c === '"' || c === "'") return this.string();
    const match = BARE_KEY.exec(this.text.slice(this.pos));
    if (!match) this.fail("invalid key");
    this.pos += match[0].length;
    return match[0];
  }

  dottedKey(): string[] {
    const parts = [this.key()];
    this.skipSpaces();
    while (this.peek() === ".") {
      this.pos++;
      parts.push(this.key());
      this.skipSpaces();
    }
    return parts;
  }

  string(): string {
    const quote = this.peek();
    if (this.text.startsWith(quote === '"' ? '"""' : "'''", this.pos)) {
      this.fail("multi-line strings are not supported by the attic double's TOML subset");
    }
    this.pos++;
    let out = "";
    while (true) {
      const c = this.text[this.pos];
      if (c === undefined) this.fail("invalid string\nexpected `" + quote + "`");
      this.pos++;
      if (c === quote) return out;
      if (c === "\\" && quote === '"') out += this.escape();
      else out += c;
    }
  }

  escape(): string {
    const c = this.text[this.pos++];
    const simple: Record<string, string> = {
      "b": "\b",
      "t": "\t",
      "n": "\n",
      "f": "\f",
      "r": "\r",
      '"': '"',
      "\\": "\\",
    };
    if (c !== undefined && simple[c] !== undefined) return simple[c];
    if (c === "u" || c === "U") {
      const width = c === "u" ? 4 : 8;
      const hex = this.text.slice(this.pos, this.pos + width);
      if (!new RegExp(`^[0-9A-Fa-f]{${width}}$`).test(hex)) this.fail("invalid unicode escape");
      this.pos += width;
      return String.fromCodePoint(parseInt(hex, 16));
    }
    this.pos--;
    return this.fail("invalid escape sequence");
  }

  value(): TomlValue {
    this.skipSpaces();
    const c = this.peek();
    if (c === '"' || c === "'") return this.string();
    const rest = this.text.slice(this.pos);
    const bool = /^(true|false)(?![A-Za-z0-9_-])/.exec(rest);
    if (bool) {
      this.pos += bool[0].length;
      return bool[0] === "true";
    }
    const int = /^[+-]?(0|[1-9](_?[0-9])*)(?![0-9A-Za-z_.:-])/.exec(rest);
    if (int) {
      this.pos += int[0].length;
      return Number(int[0].replaceAll("_", ""));
    }
    if (c === "[" || c === "{") {
      this.fail("arrays and inline tables are not supported by the attic double's TOML subset");
    }
    return this.fail("invalid string\nexpected `\"`, `'`");
  }
}

function descend(root: TomlTable, path: string[], scanner: LineScanner): TomlTable {
  let table = root;
  for (const part of path) {
    const existing = table[part];
    if (existing === undefined) {
      const created: TomlTable = {};
      table[part] = created;
      table = created;
    } else if (typeof existing === "object") {
      table = existing;
    } else {
      scanner.fail(`duplicate key \`${part}\``);
    }
  }
  return table;
}

/**
 * Parses a document of the supported subset.
 *
 * @example
 * ```ts
 * parseToml('default-server = "ci"\n[servers.ci]\nendpoint = "https://x/"');
 * ```
 */
export function parseToml(text: string): TomlTable {
  const root: TomlTable = {};
  const definedTables = new Set<string>();
  let current = root;
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  lines.forEach((lineText, index) => {
    const scanner = new LineScanner(lineText, index + 1);
    scanner.skipSpaces();
    const c = scanner.peek();
    if (c === undefined || c === "#") return;
    if (c === "[") {
      scanner.pos++;
      if (scanner.peek() === "[") {
        scanner.fail("arrays of tables are not supported by the attic double's TOML subset");
      }
      const path = scanner.dottedKey();
      if (scanner.peek() !== "]") scanner.fail("invalid table header\nexpected `.`, `]`");
      scanner.pos++;
      scanner.expectEnd();
      const id = JSON.stringify(path);
      if (definedTables.has(id)) scanner.fail(`invalid table header\nduplicate key`);
      definedTables.add(id);
      current = descend(root, path, scanner);
      return;
    }
    const path = scanner.dottedKey();
    if (scanner.peek() !== "=") scanner.fail("expected `.`, `=`");
    scanner.pos++;
    const value = scanner.value();
    scanner.expectEnd();
    const last = path.pop() as string;
    const table = descend(current, path, scanner);
    if (last in table) scanner.fail(`duplicate key \`${last}\``);
    table[last] = value;
  });
  return root;
}
