/**
 * Nix's temporary GC roots: each Nix process writes the store paths it is
 * about to build, fetch or add to `<state>/temproots/<pid>` (NUL-terminated)
 * and removes the file when it exits. Read by the process attribution
 * (engine/process_attribution.ts): which job's processes rooted a path. A
 * file is kept open once found, so what its process wrote can still be read
 * after it exited and the file was removed. The reads are synchronous: they
 * come with every append of every Nix process, each a few bytes from the page
 * cache, cheaper on the helper's thread than a hop to the runtime's blocking pool.
 *
 * @module
 */

/** One process's temporary-roots file, open. */
export interface TempRootsFile {
  /** The bytes written since the last read (none at the end). */
  readMore(): Promise<Uint8Array>;
  close(): void;
}

/** Reading the temporary-roots files, and a process's group. */
export interface TempRootsReader {
  /** The pids that have a temporary-roots file now. */
  tempRootPids(): Promise<number[]>;
  /** Opens `pid`'s file; null when it is gone already. */
  open(pid: number): Promise<TempRootsFile | null>;
  /** A process's group; null when it is gone or not visible. */
  processGroup(pid: number): Promise<number | null>;
  /** Calls `created` with each pid whose file is created from now on, until the returned stop. */
  watch(created: (pid: number) => void): () => void;
}

/** The directory of the local store's state (`NIX_STATE_DIR`, default `/nix/var/nix`). */
export function nixStateDir(env: Readonly<Record<string, string | undefined>>): string {
  return (env.NIX_STATE_DIR ?? "/nix/var/nix").replace(/\/+$/, "");
}

/**
 * The real reader of a store whose state directory is `stateDir` (e.g.
 * `/nix/var/nix`), with a process's group and the directory watch from `system`.
 */
export function tempRootsParts(
  stateDir: string,
  system: {
    processGroup(pid: number): Promise<number | null>;
    watchCreated(dir: string, created: (name: string) => void): () => void;
  },
): TempRootsReader {
  const dir = `${stateDir}/temproots`;
  return {
    watch(created) {
      return system.watchCreated(dir, (name) => {
        if (/^\d+$/.test(name)) created(Number(name));
      });
    },
    // deno-lint-ignore require-await -- the reader's interface is asynchronous
    async tempRootPids() {
      const pids: number[] = [];
      try {
        for (const entry of Deno.readDirSync(dir)) {
          if (/^\d+$/.test(entry.name)) pids.push(Number(entry.name));
        }
      } catch { /* none yet */ }
      return pids;
    },
    // deno-lint-ignore require-await -- the reader's interface is asynchronous
    async open(pid) {
      let file: Deno.FsFile;
      try {
        file = Deno.openSync(`${dir}/${pid}`, { read: true });
      } catch {
        return null;
      }
      const buffer = new Uint8Array(64 * 1024);
      return {
        // deno-lint-ignore require-await -- the reader's interface is asynchronous
        async readMore() {
          const chunks: Uint8Array[] = [];
          for (;;) {
            const n = file.readSync(buffer);
            if (n === null || n === 0) break;
            chunks.push(buffer.slice(0, n));
          }
          if (chunks.length === 1) return chunks[0]!;
          const out = new Uint8Array(chunks.reduce((sum, c) => sum + c.length, 0));
          let at = 0;
          for (const chunk of chunks) {
            out.set(chunk, at);
            at += chunk.length;
          }
          return out;
        },
        close() {
          try {
            file.close();
          } catch { /* closed */ }
        },
      };
    },
    processGroup: (pid) => system.processGroup(pid),
  };
}
