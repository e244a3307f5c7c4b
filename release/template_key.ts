/**
 * The key the templates trust: the default of the `helper_public_key` input,
 * which must be the same in every template, and its one rotation point (the
 * templates and the README's inputs table, changed together).
 *
 * @module
 */

import { parseAllDocuments } from "yaml";

/** The templates that run the helper step, by name (`templates/<name>.yml`). */
export const STEP_TEMPLATES = ["nix-build", "watch-store", "use"] as const;

/** The input that names the key the helper must be signed with. */
export const KEY_INPUT = "helper_public_key";

/** A Nix public key, `NAME:BASE64` of 32 bytes (what the input's regex accepts). */
export const PUBLIC_KEY = /^[^:\s]+:[A-Za-z0-9+/]{43}=$/;

/** The default of `helper_public_key` in each template, by template name. */
export async function templateKeys(root: string): Promise<Map<string, string>> {
  const keys = new Map<string, string>();
  for (const name of STEP_TEMPLATES) {
    const text = await Deno.readTextFile(`${root}/templates/${name}.yml`);
    const header = parseAllDocuments(text)[0]?.toJS() as {
      spec?: { inputs?: Record<string, { default?: unknown }> };
    };
    const key = header?.spec?.inputs?.[KEY_INPUT]?.default;
    if (typeof key !== "string" || !PUBLIC_KEY.test(key)) {
      throw new Error(`templates/${name}.yml has no ${KEY_INPUT} input with a Nix public key`);
    }
    keys.set(name, key);
  }
  return keys;
}

/**
 * The key every template trusts by default. Throws when the templates
 * disagree: a release would then refuse its own helper in some of them.
 *
 * @example
 * ```ts
 * const key = await templateKey("."); // "attic-ci-release-1:…="
 * ```
 */
export async function templateKey(root: string): Promise<string> {
  const keys = await templateKeys(root);
  const distinct = new Set(keys.values());
  if (distinct.size !== 1) {
    throw new Error(
      `the templates trust different keys by default (${
        [...keys].map(([name, key]) => `${name}: ${key}`).join(", ")
      }): run deno task release:key, which sets all of them`,
    );
  }
  return [...distinct][0]!;
}

/**
 * Replaces the default key `from` with `to` in every template and in
 * README.md's inputs table, as text (the files keep their layout). Returns
 * the files it changed. Throws, changing nothing, unless each template holds
 * `default: <from>` exactly once.
 */
export async function replaceTemplateKey(
  root: string,
  from: string,
  to: string,
): Promise<string[]> {
  if (!PUBLIC_KEY.test(to)) throw new RangeError(`Cannot trust ${to}: not a Nix public key`);
  const changes: [string, string][] = [];
  for (const name of STEP_TEMPLATES) {
    const file = `templates/${name}.yml`;
    const text = await Deno.readTextFile(`${root}/${file}`);
    const line = `default: ${from}\n`;
    if (text.split(line).length !== 2) {
      throw new Error(`${file} does not hold "${line.trim()}" exactly once`);
    }
    changes.push([file, text.replace(line, `default: ${to}\n`)]);
  }
  const readme = await Deno.readTextFile(`${root}/README.md`).catch(() => null);
  if (readme !== null && readme.includes(from)) {
    changes.push(["README.md", readme.replaceAll(from, to)]);
  }
  for (const [file, text] of changes) await Deno.writeTextFile(`${root}/${file}`, text);
  return changes.map(([file]) => file);
}
