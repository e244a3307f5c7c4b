/**
 * The templates' helper step, taken out of the YAML and run with bash the
 * way GitLab's runner runs a script line (`set -eo pipefail`), plus what its
 * tests need: a glibc binary whose FHS loader is missing, as in nixos/nix,
 * and a store directory holding a glibc to start it with.
 *
 * @module
 */

import { parseAllDocuments } from "yaml";
import { ROOT } from "./nix.ts";

/** The helper step (before_script's first item) of `templates/<name>.yml`. */
export async function helperStep(name: string): Promise<string> {
  const docs = parseAllDocuments(await Deno.readTextFile(`${ROOT}/templates/${name}.yml`));
  const jobs = docs[1]?.toJS() as Record<string, { before_script?: unknown[] }>;
  const job = Object.values(jobs)[0];
  const step = job?.before_script?.[0];
  if (typeof step !== "string") throw new Error(`templates/${name}.yml has no helper step`);
  return step;
}

/** What a run of the step printed. */
export interface StepResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the step, then `after` (more script lines), in one bash with GitLab's options. */
export async function runHelperStep(
  step: string,
  options: { env: Record<string, string>; after?: string; cwd?: string },
): Promise<StepResult> {
  const out = await new Deno.Command("bash", {
    args: ["-c", `set -eo pipefail\n${step}\n${options.after ?? ""}`],
    env: options.env,
    clearEnv: true,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
}

/**
 * Copies the glibc program `from` to `to` with its ELF interpreter renamed
 * to a path that does not exist (same length, first letter changed): the
 * binary then fails to start exactly like a `deno compile` output in an
 * image without an FHS loader. Returns the original interpreter path.
 */
export async function withoutLoader(from: string, to: string): Promise<string> {
  const bytes = await Deno.readFile(from);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0) !== 0x7f454c46 || bytes[4] !== 2) throw new Error(`${from}: not ELF64`);
  const phoff = Number(view.getBigUint64(0x20, true));
  const phentsize = view.getUint16(0x36, true);
  const phnum = view.getUint16(0x38, true);
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (view.getUint32(ph, true) !== 3) continue; // PT_INTERP
    const offset = Number(view.getBigUint64(ph + 8, true));
    const size = Number(view.getBigUint64(ph + 32, true));
    const interpreter = new TextDecoder().decode(bytes.subarray(offset, offset + size - 1));
    bytes[offset + 1] = "X".charCodeAt(0); // "/lib64/…" → "/Xib64/…"
    await Deno.writeFile(to, bytes, { mode: 0o755 });
    return interpreter;
  }
  throw new Error(`${from} has no ELF interpreter`);
}

/**
 * A store directory with a glibc and a gcc-lib output, as a Nix store in
 * nixos/nix has them: links to this machine's own loader and libraries.
 * Returns the glibc output's `lib` directory.
 */
export async function storeWithGlibc(store: string, interpreter: string): Promise<string> {
  const libc = (await Deno.readTextFile("/proc/self/maps")).split("\n")
    .map((line) => line.split(/\s+/).at(-1) ?? "")
    .find((path) => /\/libc\.so\.6$/.test(path));
  if (!libc) throw new Error("cannot find this process's libc.so.6");
  const glibc = `${store}/0000000000000000000000000000glibc-glibc-2.40-66/lib`;
  const gcc = `${store}/1111111111111111111111111111gccl-gcc-14.2.1-lib/lib`;
  await Deno.mkdir(glibc, { recursive: true });
  await Deno.mkdir(gcc, { recursive: true });
  await Deno.symlink(
    interpreter,
    `${glibc}/${interpreter.slice(interpreter.lastIndexOf("/") + 1)}`,
  );
  await Deno.symlink(libc, `${glibc}/libc.so.6`);
  const libgcc = `${libc.slice(0, libc.lastIndexOf("/"))}/libgcc_s.so.1`;
  if (await Deno.stat(libgcc).then(() => true, () => false)) {
    await Deno.symlink(libgcc, `${gcc}/libgcc_s.so.1`);
  }
  return glibc;
}

/**
 * What the helper step may call in a `nixos/nix` image, and no more: a shell,
 * the coreutils it uses, grep, curl and nix. (No sed, cmp, sha256sum or wget
 * here: the step must not need them.)
 */
export const NIXOS_NIX_TOOLS = [
  "bash",
  "sh",
  "cat",
  "chmod",
  "ln",
  "mkdir",
  "mktemp",
  "mv",
  "rm",
  "tail",
  "touch",
  "tr",
  "uname",
  "grep",
  "curl",
  "nix",
] as const;

/**
 * A directory of links to this machine's `tools` (found on the usual system
 * PATH), to use as a job's whole PATH. Returns the directory.
 */
export async function toolbox(dir: string, tools: readonly string[]): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  for (const tool of tools) {
    let found: string | null = null;
    for (const bin of ["/usr/local/bin", "/usr/bin", "/bin"]) {
      if (await Deno.stat(`${bin}/${tool}`).then(() => true, () => false)) {
        found = `${bin}/${tool}`;
        break;
      }
    }
    if (found === null) throw new Error(`no ${tool} on this machine`);
    await Deno.symlink(found, `${dir}/${tool}`);
  }
  return dir;
}
