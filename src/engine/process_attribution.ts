/**
 * Attribution by process (single-user Nix): every Nix process registers the
 * store paths it is about to build, fetch or add as temporary GC roots, in a
 * file of its own, `<state>/temproots/<pid>`, kept until it exits. A path is
 * this job's when a process of the job's process group rooted it, another
 * job's when only processes of other groups did. The files are read as they
 * grow — when a lock is created (its process is at work then, and has
 * rooted the path already) and when a finished path is decided — so a
 * path's root is known even after its process exited, and however briefly
 * its lock was held.
 *
 * @module
 */

import { lockedPathName, type StorePath, storePathName } from "../store/store_path.ts";
import { StorePathSet } from "../store/store_path_set.ts";
import type { TempRootsFile, TempRootsReader } from "../store/temp_roots.ts";
import { type Clock, systemClock, type TimerHandle } from "../system/clock.ts";
import type { StoreEvent } from "../system/system.ts";
import type { Attribution, Ownership } from "./attribution.ts";

/** What process attribution reads of the machine: the temporary roots and process groups. */
export type ProcessAttributionParts = TempRootsReader;

/** Options of {@linkcode ProcessAttribution}. */
export interface ProcessAttributionOptions {
  /** The job's process group: what its Nix processes root is the job's. */
  readonly group: number;
  /**
   * The derivation a path was built from (Nix's `deriver`), for a path whose
   * own root was not seen: a derivation the job's processes rooted makes it
   * the job's. @default none asked
   */
  readonly deriverOf?: (path: StorePath) => Promise<StorePath | null>;
  /**
   * Called with the derivations the job's processes rooted, as they are
   * read (recorded: a final push in another process tells by them).
   */
  readonly onOurDerivations?: (paths: StorePath[]) => void;
  /** Reads the roots on this interval too, when no lock is created meanwhile. @default 1000 */
  readonly refreshMs?: number;
  /** The clock of the interval. @default the system's */
  readonly clock?: Clock;
}

/** What is known of a process with a temporary-roots file. */
interface RootsFile {
  /** Its group: ours or another job's. */
  readonly ours: boolean;
  /** The file, open: read on after its process removed it. */
  readonly file: TempRootsFile;
  /** An unfinished path at the end of what was read (a write in progress). */
  rest: string;
}

/** {@linkcode Attribution} by the process group of the Nix processes that rooted a path. */
export class ProcessAttribution implements Attribution {
  readonly mode = "process";
  readonly #parts: ProcessAttributionParts;
  readonly #options: ProcessAttributionOptions;
  readonly #files = new Map<number, RootsFile>();
  /** Names rooted by the job's processes (compact: it grows with every path of the build). */
  readonly #ours = new StorePathSet();
  /** Names rooted only by other jobs' processes. */
  readonly #theirs = new StorePathSet();
  /** Derivations rooted by the job's processes, and only by others'. */
  readonly #ourDerivations = new StorePathSet();
  readonly #theirDerivations = new StorePathSet();
  #timer: TimerHandle | null = null;
  readonly #unwatch: () => void;
  /** Roots files being opened. */
  readonly #adopting = new Map<number, Promise<void>>();
  readonly #decoder = new TextDecoder();
  /** The refresh in progress, and whether another was asked for meanwhile. */
  #refreshing: Promise<void> | null = null;
  #again = false;
  #closed = false;

  /** @param parts temporary roots and process groups; @param options the job's group */
  constructor(parts: ProcessAttributionParts, options: ProcessAttributionOptions) {
    this.#parts = parts;
    this.#options = options;
    // A process's roots file is opened as it is created: read on, even once a quick process
    // (a small build, an add) has exited and removed it.
    this.#unwatch = parts.watch((pid) => {
      if (!this.#closed) this.#adopt(pid);
    });
    this.#tick();
  }

  /** Opens `pid`'s roots file (and learns its group) unless already open. */
  #adopt(pid: number): Promise<void> {
    let adopting = this.#adopting.get(pid);
    if (adopting !== undefined || this.#files.has(pid)) return adopting ?? Promise.resolve();
    adopting = (async () => {
      const [group, file] = await Promise.all([
        this.#parts.processGroup(pid),
        this.#parts.open(pid),
      ]);
      if (file === null) return;
      if (group === null || this.#closed) return file.close(); // gone already, or not ours to see
      this.#files.set(pid, { ours: group === this.#options.group, file, rest: "" });
    })().finally(() => this.#adopting.delete(pid));
    this.#adopting.set(pid, adopting);
    return adopting;
  }

  /** Reads the roots now and then, so a process's roots are seen while it lives. */
  #tick(): void {
    const clock = this.#options.clock ?? systemClock;
    this.#timer = clock.setTimeout(() => {
      if (this.#closed) return;
      this.#refresh().finally(() => {
        if (!this.#closed) this.#tick();
      });
    }, this.#options.refreshMs ?? 1_000);
    // A session that ended without its drain (an error) must not be kept alive by this timer.
    if (typeof this.#timer === "number") Deno.unrefTimer(this.#timer);
  }

  /** A lock's creation: its process is at work, and its roots file is found while it lives. */
  observe(event: StoreEvent): void {
    if (event.kind !== "created" || this.#closed) return;
    // Any lock, a derivation's too: a Nix process that writes one is at work and has a roots
    // file to find while it lives (evaluation writes derivations before anything is built).
    if (lockedPathName(event.name) !== null) this.#refresh();
  }

  /** Ours when the job's processes rooted it; theirs when only others did; else unknown. */
  async decide(path: StorePath): Promise<Ownership> {
    const name = storePathName(path);
    const known = this.#verdict(name);
    if (known !== null) return known;
    await this.#refresh();
    const found = this.#verdict(name);
    if (found !== null) return found;
    // Its process was gone before its roots were read: the derivation it came from tells.
    const deriver = await this.#options.deriverOf?.(path).catch(() => null);
    if (deriver) {
      const drv = storePathName(deriver);
      if (this.#ourDerivations.has(drv)) return "ours";
      if (this.#theirDerivations.has(drv)) return "theirs";
    }
    return "unknown";
  }

  /** Stops reading. */
  close(): void {
    this.#closed = true;
    this.#unwatch();
    for (const roots of this.#files.values()) roots.file.close();
    this.#files.clear();
    if (this.#timer !== null) (this.#options.clock ?? systemClock).clearTimeout(this.#timer);
    this.#timer = null;
  }

  #verdict(name: string): Ownership | null {
    if (this.#ours.has(name)) return "ours";
    if (this.#theirs.has(name)) return "theirs";
    return null;
  }

  /** Reads what the roots files gained; one read at a time, and one more if asked meanwhile. */
  #refresh(): Promise<void> {
    if (this.#refreshing !== null) {
      this.#again = true;
      return this.#refreshing;
    }
    this.#refreshing = (async () => {
      do {
        this.#again = false;
        await this.#read();
      } while (this.#again && !this.#closed);
    })().finally(() => this.#refreshing = null);
    return this.#refreshing;
  }

  async #read(): Promise<void> {
    const pids = await this.#parts.tempRootPids();
    const live = new Set(pids);
    await Promise.all([...pids.map((pid) => this.#adopt(pid)), ...this.#adopting.values()]);
    await Promise.all([...this.#files].map(async ([pid, roots]) => {
      const bytes = await roots.file.readMore().catch(() => new Uint8Array());
      if (bytes.length > 0) this.#consume(roots, bytes);
      // Its process exited (the file is gone) and all it wrote is read.
      if (!live.has(pid)) {
        roots.file.close();
        this.#files.delete(pid);
      }
    }));
  }

  /** Records the paths of newly read bytes (each ends with a NUL; the last may be partial). */
  #consume(roots: RootsFile, bytes: Uint8Array): void {
    const text = roots.rest + this.#decoder.decode(bytes);
    const paths = text.split("\0");
    roots.rest = paths.pop() ?? "";
    const derivations: StorePath[] = [];
    for (const path of paths) {
      if (this.#root(path, roots.ours) && roots.ours) derivations.push(path);
    }
    if (derivations.length > 0) this.#options.onOurDerivations?.(derivations);
  }

  /** Records one root; true for a derivation newly seen. */
  #root(path: string, ours: boolean): boolean {
    if (path.length === 0) return false;
    const name = path.slice(path.lastIndexOf("/") + 1);
    const [mine, others] = name.endsWith(".drv")
      ? [this.#ourDerivations, this.#theirDerivations]
      : [this.#ours, this.#theirs];
    if (ours) {
      others.delete(name);
      if (mine.has(name)) return false;
      mine.add(name);
      return name.endsWith(".drv");
    }
    if (!mine.has(name)) others.add(name);
    return false;
  }
}
