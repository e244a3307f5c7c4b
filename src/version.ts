/** The helper's version; kept equal to `version` in deno.json and the CHANGELOG. */
export const VERSION = "0.1.0";
