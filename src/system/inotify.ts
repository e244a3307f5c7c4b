/**
 * A directory watch on Linux's inotify, called through libc with Deno's FFI,
 * that asks the kernel for only the events the helper uses: the creation and
 * the removal of entries. `Deno.watchFs` asks for every kind (opens,
 * attribute changes, every write), and in `/nix/store` and Nix's
 * `temproots/` that is some 25 events per built path, each read, resolved to
 * a canonical path and handed to JavaScript by the runtime: more of the
 * helper's CPU than anything else it does per path. Here the kernel drops the
 * rest before they are queued, and the events wait in one `poll` (on a thread
 * of the runtime) and are read in batches.
 *
 * Where libc or inotify cannot be had (not Linux, a libc without it),
 * {@linkcode InotifyWatch.open} returns null and the caller watches with
 * `Deno.watchFs` instead.
 *
 * @module
 */

import { cString, openLibc } from "./libc.ts";

/** What a watch reports: an entry created or removed, or the end of what it can tell. */
export type DirWatchEvent =
  | { readonly kind: "created" | "removed"; readonly name: string }
  /** The kernel's queue overflowed: events were lost. */
  | { readonly kind: "overflow" }
  /** The watched directory went away (removed, moved, its file system unmounted). */
  | { readonly kind: "gone" };

/** Which events to ask for. */
export interface DirWatchKinds {
  readonly created: boolean;
  readonly removed: boolean;
}

const IN_NONBLOCK = 0o4000;
const IN_CLOEXEC = 0o2000000;
const IN_CREATE = 0x100;
const IN_DELETE = 0x200;
const IN_DELETE_SELF = 0x400;
const IN_MOVE_SELF = 0x800;
const IN_UNMOUNT = 0x2000;
const IN_Q_OVERFLOW = 0x4000;
const IN_IGNORED = 0x8000;
const IN_ONLYDIR = 0x1000000;
const EFD_NONBLOCK = 0o4000;
const EFD_CLOEXEC = 0o2000000;
const POLLIN = 0x1;
/** struct inotify_event without its name: wd, mask, cookie, len. */
const EVENT_HEADER = 16;

const SYMBOLS = {
  inotify_init1: { parameters: ["i32"], result: "i32" },
  inotify_add_watch: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32", nonblocking: true },
  read: { parameters: ["i32", "buffer", "u64"], result: "i64" },
  write: { parameters: ["i32", "buffer", "u64"], result: "i64" },
  close: { parameters: ["i32"], result: "i32" },
} as const;

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>;

/** One directory watched with inotify; iterate it for events, close it to end. */
export class InotifyWatch implements AsyncIterable<DirWatchEvent> {
  readonly #libc: Libc;
  readonly #fd: number;
  /** Written to by close(), so the poll returns at once. */
  readonly #wake: number;
  #closed = false;
  #iterating = false;

  private constructor(libc: Libc, fd: number, wake: number) {
    this.#libc = libc;
    this.#fd = fd;
    this.#wake = wake;
  }

  /**
   * Watches `dir` (not its subdirectories) for the `kinds` asked; null when
   * inotify cannot be had here or `dir` cannot be watched (the caller falls
   * back to `Deno.watchFs`, which says why).
   */
  static open(dir: string, kinds: DirWatchKinds): InotifyWatch | null {
    const libc = openLibc(SYMBOLS);
    if (libc === null) return null;
    const s = libc.symbols;
    const fd = s.inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) {
      libc.close();
      return null;
    }
    const mask = IN_ONLYDIR | IN_DELETE_SELF | IN_MOVE_SELF |
      (kinds.created ? IN_CREATE : 0) | (kinds.removed ? IN_DELETE : 0);
    const wake = s.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake < 0 || s.inotify_add_watch(fd, cString(dir), mask) < 0) {
      s.close(fd);
      if (wake >= 0) s.close(wake);
      libc.close();
      return null;
    }
    return new InotifyWatch(libc, fd, wake);
  }

  /** Ends the iteration (at once, even while it waits for events); idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // The iteration releases the descriptors when its poll returns; a watch never iterated
    // releases them here.
    if (this.#iterating) this.#libc.symbols.write(this.#wake, ONE, 8n);
    else this.#release();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<DirWatchEvent> {
    if (this.#iterating) throw new Error("an inotify watch is iterated once");
    if (this.#closed) return;
    this.#iterating = true;
    const s = this.#libc.symbols;
    const fds = new Uint8Array(16); // two struct pollfd: the watch, the wake-up
    const view = new DataView(fds.buffer);
    view.setInt32(0, this.#fd, true);
    view.setInt16(4, POLLIN, true);
    view.setInt32(8, this.#wake, true);
    view.setInt16(12, POLLIN, true);
    const buffer = new Uint8Array(64 * 1024);
    try {
      while (!this.#closed) {
        view.setInt16(6, 0, true);
        if (await s.poll(fds, 2n, -1) < 0) continue; // interrupted by a signal
        if (this.#closed) return;
        const events: DirWatchEvent[] = [];
        for (;;) {
          const n = Number(s.read(this.#fd, buffer, BigInt(buffer.length)));
          if (n <= 0) break; // drained (EAGAIN)
          parseEvents(buffer.subarray(0, n), events);
        }
        let gone = false;
        for (const event of events) {
          yield event;
          if (event.kind === "gone") gone = true;
        }
        if (gone) return;
        if (events.length === 0 && (view.getInt16(6, true) & ~POLLIN) !== 0) {
          yield { kind: "gone" }; // an error on the descriptor itself
          return;
        }
      }
    } finally {
      this.#closed = true;
      this.#release();
    }
  }

  #release(): void {
    const s = this.#libc.symbols;
    s.close(this.#fd);
    s.close(this.#wake);
    this.#libc.close();
  }
}

/** Eight bytes holding 1: what an eventfd is written. */
const ONE = new Uint8Array(new BigUint64Array([1n]).buffer);

/** Appends the events in `bytes` (whole `struct inotify_event`s, as read) to `out`. */
export function parseEvents(bytes: Uint8Array, out: DirWatchEvent[]): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder();
  for (let at = 0; at + EVENT_HEADER <= bytes.length;) {
    const mask = view.getUint32(at + 4, true);
    const length = view.getUint32(at + 12, true);
    const raw = bytes.subarray(at + EVENT_HEADER, at + EVENT_HEADER + length);
    const end = raw.indexOf(0);
    const name = decoder.decode(end === -1 ? raw : raw.subarray(0, end));
    at += EVENT_HEADER + length;
    if (mask & IN_Q_OVERFLOW) out.push({ kind: "overflow" });
    else if (mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT | IN_IGNORED)) {
      out.push({ kind: "gone" });
    } else if (mask & IN_CREATE) out.push({ kind: "created", name });
    else if (mask & IN_DELETE) out.push({ kind: "removed", name });
  }
}
