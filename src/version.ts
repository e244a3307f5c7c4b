/**
 * The helper's version: `version` in deno.json, the one source of truth that
 * the release pipeline checks against the tag and the CHANGELOG.
 *
 * @module
 */

import denoJson from "../deno.json" with { type: "json" };

/** The helper's version, e.g. `1.2.3`. */
export const VERSION: string = denoJson.version;
