/**
 * Derivation graphs for the benchmark: a deterministic shape (from a seed)
 * written out as a plain Nix expression with a fresh tag per instance, so
 * every run really builds (Nix never rebuilds a valid path).
 *
 * Outputs reference their dependencies' outputs (each output stores its
 * dependencies' paths), so the runtime closure of the root is the whole graph,
 * as with real packages.
 *
 * @module
 */

/** The shape of a graph: the same for every instance of a scenario. */
export interface GraphShape {
  /** Number of derivations, not counting the root that ties them together. */
  readonly nodes: number;
  /** Number of layers; each node depends only on nodes of earlier layers. */
  readonly layers: number;
  /** Dependencies per node (from the previous layer, plus one random earlier one). */
  readonly fanIn: number;
  /** Mean build time of one derivation, in milliseconds. */
  readonly buildMs: number;
  /** Mean size of one output (random bytes, so incompressible), in bytes. */
  readonly outputBytes: number;
  /** Build times and sizes vary uniformly by ±jitter around the mean (0..1). */
  readonly jitter: number;
  /** Seed of the pseudo-random shape, so every instance has the same shape. */
  readonly seed: number;
}

/** Defaults for {@linkcode GraphShape}. */
export const DEFAULT_SHAPE: GraphShape = {
  nodes: 100,
  layers: 10,
  fanIn: 2,
  buildMs: 200,
  outputBytes: 64 * 1024,
  jitter: 0.5,
  seed: 1,
};

/** One derivation of the graph. */
export interface GraphNode {
  /** Index, also the suffix of the derivation's name (`n<index>`). */
  readonly index: number;
  readonly layer: number;
  /** Indices of the nodes whose outputs this one references. */
  readonly deps: readonly number[];
  readonly buildMs: number;
  readonly outputBytes: number;
}

/** A graph shape made concrete: nodes with dependencies, times and sizes. */
export interface GraphPlan {
  readonly shape: GraphShape;
  readonly nodes: readonly GraphNode[];
  /** Sum of all build times (what one core would spend sleeping), in ms. */
  readonly totalBuildMs: number;
  /** Sum of all output sizes, in bytes. */
  readonly totalOutputBytes: number;
  /** Longest chain of build times through the graph, in ms. */
  readonly criticalPathMs: number;
}

/** Options for {@linkcode renderGraph}. */
export interface RenderOptions {
  /**
   * Add a derivation that fails once the middle layer is built; the root
   * depends on it, so the build fails about halfway.
   * @default false
   */
  readonly failHalfway?: boolean;
  /** The Nix system string. @default "x86_64-linux" */
  readonly system?: string;
  /**
   * Builders compute instead of sleeping: each runs {@linkcode CPU_LOOP} for
   * its build time at this many iterations per CPU second (from
   * `calibrateCpuLoop()` in `cpu_work.ts`), a fixed amount of work that takes
   * longer when something else wants the CPU. @default null (builders sleep)
   */
  readonly loopsPerSecond?: number | null;
}

/**
 * The busy loop of a computing builder: `$loops` iterations of the shell's
 * own arithmetic (builtins only, no process started), so its work is fixed
 * and its wall time grows when it has to share a core.
 */
export const CPU_LOOP = 'i=$loops; while [ "$i" -gt 0 ]; do i=$((i - 1)); done';

/**
 * A small deterministic PRNG (mulberry32), so a seed gives the same graph on
 * every machine and every run.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Make a shape concrete: distribute the nodes over layers and draw the
 * dependencies, build times and output sizes from the seed.
 *
 * @example
 * ```ts
 * const plan = planGraph({ ...DEFAULT_SHAPE, nodes: 20, layers: 4 });
 * plan.nodes.length; // 20
 * ```
 */
export function planGraph(shape: GraphShape): GraphPlan {
  if (!Number.isInteger(shape.nodes) || shape.nodes < 1) {
    throw new RangeError(
      `Cannot plan a graph as nodes must be >= 1: current value is ${shape.nodes}`,
    );
  }
  if (!Number.isInteger(shape.layers) || shape.layers < 1 || shape.layers > shape.nodes) {
    throw new RangeError(
      `Cannot plan a graph as layers must be in 1..nodes: current value is ${shape.layers}`,
    );
  }
  if (shape.jitter < 0 || shape.jitter > 1) {
    throw new RangeError(
      `Cannot plan a graph as jitter must be in 0..1: current value is ${shape.jitter}`,
    );
  }
  const random = mulberry32(shape.seed);
  const vary = (mean: number) =>
    Math.max(0, Math.round(mean * (1 + shape.jitter * (2 * random() - 1))));
  const layerOf: number[] = [];
  const byLayer: number[][] = Array.from({ length: shape.layers }, () => []);
  for (let i = 0; i < shape.nodes; i++) {
    const layer = Math.floor((i * shape.layers) / shape.nodes);
    layerOf.push(layer);
    byLayer[layer]!.push(i);
  }
  const nodes: GraphNode[] = [];
  const finish: number[] = [];
  for (let i = 0; i < shape.nodes; i++) {
    const layer = layerOf[i]!;
    const deps = new Set<number>();
    if (layer > 0) {
      const previous = byLayer[layer - 1]!;
      const want = Math.min(shape.fanIn, previous.length);
      while (deps.size < want) deps.add(previous[Math.floor(random() * previous.length)]!);
      if (layer > 1 && shape.fanIn > 0) {
        const earlier = byLayer[Math.floor(random() * (layer - 1))]!;
        deps.add(earlier[Math.floor(random() * earlier.length)]!);
      }
    }
    const buildMs = vary(shape.buildMs);
    const outputBytes = Math.max(1024, Math.round(vary(shape.outputBytes) / 1024) * 1024);
    const sorted = [...deps].sort((a, b) => a - b);
    finish.push(buildMs + Math.max(0, ...sorted.map((d) => finish[d]!)));
    nodes.push({ index: i, layer, deps: sorted, buildMs, outputBytes });
  }
  return {
    shape,
    nodes,
    totalBuildMs: nodes.reduce((sum, n) => sum + n.buildMs, 0),
    totalOutputBytes: nodes.reduce((sum, n) => sum + n.outputBytes, 0),
    criticalPathMs: Math.max(...finish),
  };
}

/** The name prefix shared by every derivation of one graph instance. */
export function namePrefix(tag: string): string {
  return `bench-${tag}-`;
}

/** The nodes that no other node depends on (the root references them). */
export function sinks(plan: GraphPlan): number[] {
  const used = new Set(plan.nodes.flatMap((n) => n.deps));
  return plan.nodes.filter((n) => !used.has(n.index)).map((n) => n.index);
}

/**
 * Write one instance of the graph as a Nix expression whose attribute `all` is
 * the root. Builders are `/bin/sh` with absolute paths (they see an empty PATH);
 * they sleep for their build time, or, with `loopsPerSecond`, compute for it.
 *
 * @example
 * ```ts
 * const nix = renderGraph(planGraph(DEFAULT_SHAPE), "r1a2b3c4");
 * await Deno.writeTextFile("/tmp/graph.nix", nix);
 * // nix-build /tmp/graph.nix -A all
 * ```
 */
export function renderGraph(plan: GraphPlan, tag: string, options: RenderOptions = {}): string {
  if (!/^[A-Za-z0-9]+$/.test(tag)) {
    throw new RangeError(
      `Cannot render a graph as the tag must be alphanumeric: current value is ${tag}`,
    );
  }
  const system = options.system ?? "x86_64-linux";
  const rate = options.loopsPerSecond ?? null;
  if (rate !== null && !(rate > 0)) {
    throw new RangeError(
      `Cannot render a graph as loopsPerSecond must be positive: current value is ${rate}`,
    );
  }
  // The work of one builder: seconds to sleep, or loops to compute.
  const work = rate === null ? "sleep" : "loops";
  const amount = (ms: number) =>
    rate === null ? `"${seconds(ms)}"` : `"${Math.round((ms / 1000) * rate)}"`;
  const lines: string[] = [];
  lines.push(
    `# Generated by bench/graph.ts: ${plan.nodes.length} derivations, tag ${tag}, builders ${
      rate === null ? "sleep" : `compute (${Math.round(rate)} loops/s)`
    }.`,
  );
  lines.push("let");
  lines.push(`  prefix = "${namePrefix(tag)}";`);
  lines.push(`  mk = name: ${work}: kib: deps: derivation {`);
  lines.push("    name = prefix + name;");
  lines.push(`    system = "${system}";`);
  lines.push(`    builder = "/bin/sh";`);
  lines.push("    args = [ \"-c\" ''");
  lines.push(rate === null ? "      /bin/sleep $sleep" : `      ${CPU_LOOP}`);
  lines.push("      /bin/mkdir $out");
  lines.push("      /bin/dd if=/dev/urandom of=$out/blob bs=1024 count=$kib status=none");
  lines.push("      printf '%s\\n' $deps > $out/deps");
  lines.push("    '' ];");
  lines.push(`    inherit ${work} kib deps;`);
  lines.push("  };");
  for (const node of plan.nodes) {
    const deps = node.deps.map((d) => `n${d}`).join(" ");
    lines.push(
      `  n${node.index} = mk "n${node.index}" ${amount(node.buildMs)} ${
        node.outputBytes / 1024
      } [ ${deps} ];`,
    );
  }
  const rootDeps = sinks(plan).map((i) => `n${i}`);
  if (options.failHalfway) {
    const middle = Math.floor(plan.shape.layers / 2);
    const inMiddle = plan.nodes.filter((n) => n.layer === middle).map((n) => `n${n.index}`);
    lines.push("  fail = derivation {");
    lines.push(`    name = prefix + "fail";`);
    lines.push(`    system = "${system}";`);
    lines.push(`    builder = "/bin/sh";`);
    lines.push(`    args = [ "-c" "echo 'bench: failing on purpose' >&2; exit 1" ];`);
    lines.push(`    deps = [ ${inMiddle.join(" ")} ];`);
    lines.push("  };");
    rootDeps.push("fail");
  }
  lines.push("in {");
  lines.push(`  all = mk "all" "0" 1 [ ${rootDeps.join(" ")} ];`);
  lines.push("}");
  return lines.join("\n") + "\n";
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}
