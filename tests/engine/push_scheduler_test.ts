/**
 * PushScheduler retries, splits and isolates, pushing through the real
 * nix-copy backend into a real local cache; faults are injected around it.
 */

import { nixCopyBackend } from "../../src/backends/nix_copy_backend.ts";
import { type PushBackend, PushError } from "../../src/backends/push_backend.ts";
import { PushScheduler } from "../../src/engine/push_scheduler.ts";
import { assert, assertEquals } from "../helpers/assert.ts";
import { testSystem } from "../helpers/context.ts";
import { graphBuild, hasNarinfo, newTag, sh, storePathsOf, tempDir } from "../helpers/nix.ts";

/** The real nix-copy backend, failing on purpose where a test says so. */
class FaultyBackend implements PushBackend {
  readonly target: string;
  readonly calls: string[][] = [];
  readonly #real: PushBackend;
  #failFirst: number;
  readonly #poison: string | null;

  constructor(real: PushBackend, options: { failFirst?: number; poison?: string } = {}) {
    this.#real = real;
    this.target = real.target;
    this.#failFirst = options.failFirst ?? 0;
    this.#poison = options.poison ?? null;
  }

  async push(paths: readonly string[], options?: { signal?: AbortSignal }): Promise<void> {
    this.calls.push([...paths]);
    if (this.#failFirst > 0) {
      this.#failFirst--;
      throw new PushError("injected: cache unavailable");
    }
    if (this.#poison !== null && paths.some((p) => p.endsWith(this.#poison!))) {
      throw new PushError(`injected: ${this.#poison} cannot be uploaded`);
    }
    await this.#real.push(paths, options);
  }
}

async function builtOutputs(): Promise<{ dir: string; paths: string[] }> {
  const dir = await tempDir();
  const tag = newTag();
  const result = await sh("nix-build", graphBuild(tag, { depth: 1 }).slice(1), { cwd: dir });
  assertEquals(result.code, 0, result.stderr);
  const { valid } = await storePathsOf(tag);
  // Only the independent nodes: the top's closure contains them all.
  return { dir, paths: valid.filter((p) => !p.endsWith("-all")) };
}

Deno.test("a batch that fails its first attempts is retried with backoff and then pushed", async () => {
  const { dir, paths } = await builtOutputs();
  const cache = `${dir}/cache`;
  const backend = new FaultyBackend(
    nixCopyBackend(testSystem(), { to: `file://${cache}` }),
    { failFirst: 2 },
  );
  const pushed: string[] = [];
  const retried: number[] = [];
  const scheduler = new PushScheduler(backend, {
    retries: 3,
    retryDelayMs: 10,
    onPushed: (p) => pushed.push(...p),
    onRetry: (_p, attempt) => retried.push(attempt),
    onFailed: (p) => assert(false, `${p} failed`),
  });
  scheduler.submit(paths);
  await scheduler.drain();
  assertEquals(retried, [1, 2]);
  assertEquals(scheduler.stats, { invocations: 3, retries: 2 });
  assertEquals(pushed.sort(), paths);
  for (const path of paths) assert(await hasNarinfo(cache, path), `${path} missing`);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a path that always fails is isolated by splitting; every other path is pushed", async () => {
  const { dir, paths } = await builtOutputs();
  const cache = `${dir}/cache`;
  const bad = paths.find((p) => p.endsWith("-l0n2"))!;
  const backend = new FaultyBackend(
    nixCopyBackend(testSystem(), { to: `file://${cache}` }),
    { poison: "-l0n2" },
  );
  const failed = new Map<string, string>();
  const scheduler = new PushScheduler(backend, {
    retries: 1,
    retryDelayMs: 10,
    onFailed: (p, e) => failed.set(p, e.message),
  });
  scheduler.submit(paths);
  await scheduler.drain();
  assertEquals([...failed.keys()], [bad]);
  assert(failed.get(bad)!.includes("cannot be uploaded"));
  for (const path of paths) {
    assertEquals(await hasNarinfo(cache, path), path !== bad, path);
  }
  assert(backend.calls.some((c) => c.length === 1 && c[0] === bad), "the bad path stood alone");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a non-retryable failure is not retried but still split", async () => {
  const { dir, paths } = await builtOutputs();
  const backend: PushBackend = {
    target: "nowhere",
    push: () => Promise.reject(new PushError("usage error", false)),
  };
  const failed: string[] = [];
  const scheduler = new PushScheduler(backend, {
    retries: 5,
    retryDelayMs: 10,
    onFailed: (p) => failed.push(p),
  });
  scheduler.submit(paths.slice(0, 2));
  await scheduler.drain();
  assertEquals(failed.sort(), paths.slice(0, 2));
  assertEquals(scheduler.stats.invocations, 3, "one batch call, then each half once");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("drain gives up at its deadline: in-flight pushes are killed, queued ones failed", async () => {
  const hanging: PushBackend = {
    target: "nowhere",
    push: (_paths, options) =>
      new Promise((_, reject) =>
        options?.signal?.addEventListener("abort", () => reject(new PushError("killed")))
      ),
  };
  const failed: string[] = [];
  const scheduler = new PushScheduler(hanging, { concurrency: 1, onFailed: (p) => failed.push(p) });
  scheduler.submit(["/nix/store/00000000000000000000000000000000-a"]);
  scheduler.submit(["/nix/store/00000000000000000000000000000000-b"]);
  const started = Date.now();
  await scheduler.drain(AbortSignal.timeout(200));
  assert(Date.now() - started < 5_000, "drain returned after its deadline");
  assertEquals(failed.length, 2);
});

Deno.test("batches that wait for a busy push slot go out merged, up to maxBatchSize", async () => {
  const calls: string[][] = [];
  let release: () => void = () => {};
  const first = new Promise<void>((resolve) => release = resolve);
  const slow: PushBackend = {
    target: "recording",
    push: async (paths) => {
      calls.push([...paths]);
      if (calls.length === 1) await first;
    },
  };
  const scheduler = new PushScheduler(slow, { concurrency: 1, maxBatchSize: 3 });
  const p = (n: string) => `/nix/store/00000000000000000000000000000000-${n}`;
  scheduler.submit([p("a")]);
  scheduler.submit([p("b")]);
  scheduler.submit([p("c"), p("d")]);
  scheduler.submit([p("e")]);
  release();
  await scheduler.drain();
  assertEquals(calls, [[p("a")], [p("b"), p("c"), p("d")], [p("e")]]);
});
