/**
 * A second, real Nix store in a temporary directory (`NIX_STORE_DIR` and
 * friends), for the figures that need more store paths than a build can make
 * in CI's time: `nix-store --add` registers ~2,000 real paths a second, each
 * with the `<path>.lock` that Nix creates and removes as for a build. The
 * machine's `/nix/store` is left alone.
 *
 * @module
 */

import { sh } from "../tests/helpers/nix.ts";

/** A real Nix store under a temporary directory. */
export class ScratchStore {
  /** The store directory (`--store-dir`). */
  readonly storeDir: string;
  /** The variables that point Nix (and the helper's Nix children) at this store. */
  readonly env: Readonly<Record<string, string>>;
  readonly #root: string;
  #batches = 0;

  private constructor(root: string) {
    this.#root = root;
    this.storeDir = `${root}/nix/store`;
    this.env = {
      NIX_STORE_DIR: this.storeDir,
      NIX_STATE_DIR: `${root}/nix/var/nix`,
      NIX_LOG_DIR: `${root}/nix/var/log/nix`,
      NIX_CONF_DIR: `${root}/etc`,
      // Our own nix.conf below holds the settings; a caller's NIX_CONFIG must not override them.
      NIX_CONFIG: "",
    };
  }

  /** Creates an empty store under `root`. */
  static async create(root: string): Promise<ScratchStore> {
    const store = new ScratchStore(root);
    await Deno.mkdir(`${root}/etc`, { recursive: true });
    await Deno.mkdir(store.storeDir, { recursive: true });
    // No fsync per registration: this store is thrown away, and 50,000 paths must be quick.
    await Deno.writeTextFile(
      `${root}/etc/nix.conf`,
      "fsync-metadata = false\nsandbox = false\nsubstituters =\n" +
        "experimental-features = nix-command\n",
    );
    return store;
  }

  /**
   * Writes `count` small files with contents no other batch has, in a new
   * directory; returns it. Adding them makes `count` new store paths.
   */
  async writeFiles(count: number, label: string): Promise<string> {
    const dir = `${this.#root}/files/${label}-${++this.#batches}`;
    await Deno.mkdir(dir, { recursive: true });
    const nonce = crypto.randomUUID();
    for (let i = 0; i < count; i++) {
      await Deno.writeTextFile(`${dir}/${label}${i}`, `${label} ${i} ${nonce}\n`);
    }
    return dir;
  }

  /**
   * The shell command that adds every file of `dir` to this store (many
   * `nix-store --add` calls of up to 1,000 files, as fast as Nix goes) and
   * writes the new store paths to `list`.
   */
  addCommand(dir: string, list: string): string[] {
    return [
      "sh",
      "-c",
      'find "$1" -type f -print0 | xargs -0 -n 1000 nix-store --add > "$2"',
      "sh",
      dir,
      list,
    ];
  }

  /** Adds `count` new paths right now (no helper watching); returns them. */
  async add(count: number, label: string): Promise<string[]> {
    const dir = await this.writeFiles(count, label);
    const list = `${dir}.paths`;
    const [program, ...args] = this.addCommand(dir, list);
    const result = await sh(program!, args, { env: { ...this.env } });
    if (result.code !== 0) throw new Error(`nix-store --add failed: ${result.stderr.trim()}`);
    await Deno.remove(dir, { recursive: true });
    return await readPaths(list);
  }

  /** Entries in the store directory now. */
  async entries(): Promise<number> {
    let n = 0;
    for await (const _ of Deno.readDir(this.storeDir)) n++;
    return n;
  }

  /** Removes the store (its files are writable: Nix made them read-only). */
  async dispose(): Promise<void> {
    await sh("chmod", ["-R", "u+w", this.#root]);
    await Deno.remove(this.#root, { recursive: true });
  }
}

/** The store paths a `nix-store --add` list file names. */
export async function readPaths(list: string): Promise<string[]> {
  return (await Deno.readTextFile(list)).split("\n").filter((line) => line.length > 0);
}
