/**
 * Every command of attic-ci, once: its usage, the line the top-level help
 * gives it, its description and the option groups it takes. The parsers
 * (which options a command accepts) and both kinds of help are derived from
 * this table, so they cannot drift apart.
 *
 * @module
 */

import { commandHelp, ENGINE_HELP_GROUPS, type HelpGroup } from "./help.ts";
import {
  BOOTSTRAP_OPTIONS,
  BUILD_OPTIONS,
  ENGINE_OPTIONS,
  GLOBAL_OPTIONS,
  LOCATION_OPTIONS,
  type OptionSpec,
  PULL_OPTIONS,
  PUSH_OPTIONS,
  RENDER_OPTIONS,
  STATUS_OPTIONS,
  STOP_OPTIONS,
  TARGET_OPTIONS,
  USE_OPTIONS,
} from "./option_specs.ts";

/** One command as the help shows it. */
export interface CommandSpec {
  /** The short form in the top-level help, e.g. `exec [opts] -- CMD…`. */
  readonly brief: string;
  /** What it does, in the top-level help. */
  readonly summary: string;
  /** The usage line of its own help. */
  readonly usage: string;
  /** Its own help's description. */
  readonly description: string;
  /** The options it takes, grouped as its help shows them. */
  readonly groups: readonly HelpGroup[];
  /**
   * Options it also reads but does not show (the rest of the engine's, which
   * a configuration needs and the components set as variables for every command).
   */
  readonly quietly?: readonly OptionSpec[];
}

const STATE_DIR = LOCATION_OPTIONS.filter((o) => o.flag === "state-dir");

/** The options `use` shows: where the cache is, how to read it, where the job's netrc goes. */
const USE_GROUPS: readonly HelpGroup[] = [
  {
    title: "Where the cache is",
    options: TARGET_OPTIONS.filter((o) => o.flag !== "attic-client"),
  },
  {
    title: "Reading from it",
    options: [...PULL_OPTIONS.filter((o) => o.flag !== "pull"), ...USE_OPTIONS],
  },
  {
    title: "State and failure",
    options: [...STATE_DIR, ...PUSH_OPTIONS.filter((o) => o.flag === "strict")],
  },
  { title: "Other", options: GLOBAL_OPTIONS },
];

function shown(groups: readonly HelpGroup[]): Set<string> {
  return new Set(groups.flatMap((g) => g.options.map((o) => o.flag)));
}

/** The commands, in the order the top-level help lists them. */
export const COMMAND_SPECS = {
  exec: {
    brief: "exec [opts] -- CMD…",
    summary: "stream while CMD runs, then drain, final push, report; exit with CMD's status",
    usage: "attic-ci exec [OPTIONS] -- COMMAND [ARGS…]",
    description: `Run COMMAND (your build) while pushing every store path Nix finishes to the cache.
Then drain the queue, push result* out-links and anything missed, print the report,
and exit with COMMAND's status: 128+N when signal N killed it, or when exec passed
signal N on (a Ctrl-C, a GitLab cancel) and COMMAND then failed.

Example: attic-ci exec --cache main --server https://attic.example.com/ -- nix build .#all`,
    groups: ENGINE_HELP_GROUPS,
  },
  build: {
    brief: "build [opts] [REF…]",
    summary: "the same for nix build REF… (what the component's nix-build job runs)",
    usage: "attic-ci build [OPTIONS] [INSTALLABLE…] [-- NIX_ARGS…]",
    description:
      `Run \`nix build NIX_ARGS… INSTALLABLE…\` while pushing every store path Nix finishes,
then drain, final push and report, like exec; exit with nix build's status.
Without INSTALLABLEs, ATTIC_CI_INSTALLABLES is used (default: nix build's own, .#default);
without \`--\`, ATTIC_CI_NIX_FLAGS. Both take a list such as [".#a", ".#b"] or one
value per line.

Example: attic-ci build --cache main --server https://attic.example.com/ .#a .#b -- -L`,
    groups: [{ title: "Nix's arguments", options: BUILD_OPTIONS }, ...ENGINE_HELP_GROUPS],
  },
  start: {
    brief: "start [opts]",
    summary: "bootstrap, start the detached watcher, return at once",
    usage: "attic-ci start [OPTIONS]",
    description:
      `Fetch the attic client (substitution only), start a detached watcher that pushes every
finished store path, and return at once. End with \`attic-ci stop\` (drain, final push,
report); \`attic-ci push\` in after_script catches what a killed watcher left.`,
    groups: ENGINE_HELP_GROUPS,
  },
  stop: {
    brief: "stop [--timeout S]",
    summary: "stop the watcher, wait for its drain, final push, print the report",
    usage: "attic-ci stop [--timeout SECONDS] [OPTIONS]",
    description:
      `Stop the watcher started by \`attic-ci start\`, wait for it to drain its queue, push
result* out-links and anything it missed, and print the report. Without a running
watcher it says so and still runs the final push from the recorded state.`,
    groups: [{ title: "Stopping", options: STOP_OPTIONS }, ...ENGINE_HELP_GROUPS],
  },
  push: {
    brief: "push [opts] [PATH…]",
    summary: "final push: PATHs, result* out-links, and what the state dir says is missing",
    usage: "attic-ci push [OPTIONS] [PATH…]",
    description:
      `The final push on its own (after_script): push the given PATHs (store paths or links
into the store), the result* out-links in the working directory, and every path the
state directory shows as built but not pushed. Stops a still-running watcher first.`,
    groups: ENGINE_HELP_GROUPS,
  },
  watch: {
    brief: "watch [opts]",
    summary: "watch in the foreground until SIGINT/SIGTERM, then drain (for systemd)",
    usage: "attic-ci watch [OPTIONS]",
    description:
      `Watch the store in the foreground and push every finished path, until SIGINT or SIGTERM;
then drain, push what was missed since the start, and print the report. For hosts
that build all day (e.g. a systemd service with KillSignal=SIGTERM).`,
    groups: ENGINE_HELP_GROUPS,
  },
  bootstrap: {
    brief: "bootstrap [opts]",
    summary: "fetch the attic client without compiling it; print its path",
    usage: "attic-ci bootstrap [OPTIONS]",
    description:
      `Fetch the attic client with \`nix build REF --max-jobs 0\` (download it or fail at once,
never compile it); fall back to an attic on PATH. Prints the client's path; exit 1
when there is none.`,
    groups: [{
      title: "Options",
      options: [...BOOTSTRAP_OPTIONS, ...STATE_DIR, ...GLOBAL_OPTIONS],
    }],
  },
  use: {
    brief: "use [opts]",
    summary: "make Nix substitute from the cache: in this job (eval its output), or --persist",
    usage: 'eval "$(attic-ci use [OPTIONS])"   or   attic-ci use --persist [OPTIONS]',
    description:
      `Make Nix substitute from the cache, as \`attic use\` and \`cachix use\` do: its substituter
and key (signatures stay required) from the cache's configuration, and for a private
cache the token in a netrc. For jobs that only read the cache (deploy, tests).

By default for this job only: prints \`export NIX_CONFIG=…\` for eval in the job's shell;
nothing lasting is written, and \`attic-ci clean\` removes the job's netrc at its end.
With --persist, for your user on this machine: ~/.config/nix/nix.conf and a 0600 netrc.
The token (--token-variable) needs the pull permission; a public cache needs none.
Exit 0 once Nix is set up (or when it cannot be and caching must not fail the job);
1 under --strict when it cannot be; 2 for bad usage.`,
    groups: USE_GROUPS,
    quietly: ENGINE_OPTIONS.filter((o) => !shown(USE_GROUPS).has(o.flag)),
  },
  clean: {
    brief: "clean [--state-dir DIR]",
    summary: "remove this job's files that hold the token (its netrc, token file, attic config)",
    usage: "attic-ci clean [--state-dir DIR]",
    description:
      `Remove every file of the state directory that holds the token: the token file, the attic
configuration and the job's netrc. exec, build, stop and push do this themselves when
they end; a job that only ran \`attic-ci use\` ends with this (the use component's
after_script). Exit 0 when none is left.`,
    groups: [{ title: "Options", options: [...STATE_DIR, ...GLOBAL_OPTIONS] }],
  },
  status: {
    brief: "status [--json]",
    summary: "what the watcher is doing",
    usage: "attic-ci status [--json] [--state-dir DIR]",
    description: `Say whether a watcher runs for the state directory and what it has done so far.
Exit 0 when one runs, 3 when none does.`,
    groups: [{ title: "Options", options: [...STATUS_OPTIONS, ...STATE_DIR, ...GLOBAL_OPTIONS] }],
  },
  render: {
    brief: "render REPORT.json",
    summary: "draw a saved JSON report as its timeline picture (SVG)",
    usage: "attic-ci render REPORT.json [--out FILE]",
    description:
      `Draw a report saved with --report (or --artifacts) as the timeline picture --timeline
writes: when each store path was finished and cached, the build's end, the drain and
the final push, and the totals. One self-contained SVG file that opens offline; for many
paths the picture aggregates them and names the slowest and the failed ones.
Exit 0 once written; 2 when REPORT.json is not a report.

Example: attic-ci render attic-ci/report.json --out timeline.svg`,
    groups: [{ title: "Options", options: [...RENDER_OPTIONS, ...GLOBAL_OPTIONS] }],
  },
} as const satisfies Record<string, CommandSpec>;

/** A command's name. */
export type CommandName = keyof typeof COMMAND_SPECS;

/** A command's options (for its parser) and its help text. */
export function commandLineOf(name: CommandName): { specs: OptionSpec[]; help: string } {
  const spec: CommandSpec = COMMAND_SPECS[name];
  return {
    specs: [...spec.groups.flatMap((group) => group.options), ...(spec.quietly ?? [])],
    help: commandHelp(spec.usage, spec.description, spec.groups),
  };
}

/** The top-level help. */
export function mainHelp(version: string): string {
  const commands = Object.values(COMMAND_SPECS)
    .map((spec: CommandSpec) => `  ${spec.brief.padEnd(22)} ${spec.summary}`)
    .join("\n");
  return `attic-ci ${version}: push every store path Nix finishes to your binary cache, while the build runs.

Usage: attic-ci COMMAND [OPTIONS]

Commands:
${commands}

Every option is also read from ATTIC_CI_<NAME> (e.g. --token-variable: ATTIC_CI_TOKEN_VARIABLE);
a flag beats the variable. Run attic-ci COMMAND --help for a command's options.

Exit codes: 2 for bad usage or configuration; exec returns CMD's status; otherwise 0,
or 1 under --strict when anything could not be pushed.
`;
}
