/**
 * A watch of one directory's entries being created and removed: inotify with
 * only those events asked for where it can be had (./inotify.ts), else
 * `Deno.watchFs` with the rest dropped here.
 *
 * @module
 */

import { type DirWatchEvent, type DirWatchKinds, InotifyWatch } from "./inotify.ts";

export type { DirWatchEvent, DirWatchKinds };

/** Events of one directory (not its subdirectories), until closed. */
export interface DirWatch extends AsyncIterable<DirWatchEvent> {
  /** Which implementation watches (the tests ask). */
  readonly via: "inotify" | "watchFs";
  /** Ends the iteration; idempotent. */
  close(): void;
}

/** Options of {@linkcode openDirWatch}. */
export interface DirWatchOptions {
  /** Use `Deno.watchFs` even where inotify can be had. @default false */
  readonly watchFs?: boolean;
}

/**
 * Watches `dir` for the `kinds` asked. Throws what `Deno.watchFs` throws when
 * `dir` cannot be watched (it does not exist, it is not readable).
 */
export function openDirWatch(
  dir: string,
  kinds: DirWatchKinds,
  options: DirWatchOptions = {},
): DirWatch {
  const inotify = options.watchFs ? null : InotifyWatch.open(dir, kinds);
  if (inotify !== null) {
    return {
      via: "inotify",
      close: () => inotify.close(),
      [Symbol.asyncIterator]: () => inotify[Symbol.asyncIterator](),
    };
  }
  const watcher = Deno.watchFs(dir, { recursive: false });
  const self = dir.replace(/\/+$/, "");
  return {
    via: "watchFs",
    close() {
      try {
        watcher.close();
      } catch { /* closed already */ }
    },
    async *[Symbol.asyncIterator]() {
      for await (const event of watcher) {
        if (event.flag === "rescan") yield { kind: "overflow" };
        const kind = event.kind === "create"
          ? "created"
          : event.kind === "remove"
          ? "removed"
          : null;
        if (kind === null || !kinds[kind]) continue;
        for (const path of event.paths) {
          // The directory itself removed: nothing more can be seen in it.
          if (path.replace(/\/+$/, "") === self) {
            yield { kind: "gone" };
            return;
          }
          yield { kind, name: path.slice(path.lastIndexOf("/") + 1) };
        }
      }
    },
  };
}
