/**
 * What the benchmark ran on: CPU, cores, memory, kernel, and the versions of
 * Deno, Nix and attic-ci, for the docs.
 *
 * @module
 */

import { output } from "./process.ts";

/** The machine and software of a run. */
export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly kernel: string;
  readonly deno: string;
  readonly nix: string;
  readonly atticCi: string;
}

/** Collect the machine's description; unknown parts become "unknown". */
export async function describeMachine(repoRoot: string): Promise<MachineInfo> {
  const cpuinfo = await readOr("/proc/cpuinfo");
  const meminfo = await readOr("/proc/meminfo");
  const osRelease = await readOr("/etc/os-release");
  const memKb = Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)?.[1] ?? "0");
  let nix = "unknown";
  try {
    nix = (await output(["nix", "--version"])).trim();
  } catch {
    // keep unknown
  }
  let atticCi = "unknown";
  try {
    const text = await Deno.readTextFile(`${repoRoot}/src/version.ts`);
    atticCi = /VERSION\s*=\s*"([^"]+)"/.exec(text)?.[1] ?? "unknown";
  } catch {
    // keep unknown
  }
  return {
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? "unknown",
    cores: navigator.hardwareConcurrency,
    memoryGiB: Math.round(memKb / 1024 / 1024),
    os: /^PRETTY_NAME="?([^"\n]+)"?/m.exec(osRelease)?.[1] ?? Deno.build.os,
    kernel: Deno.osRelease(),
    deno: Deno.version.deno,
    nix,
    atticCi,
  };
}

async function readOr(file: string): Promise<string> {
  try {
    return await Deno.readTextFile(file);
  } catch {
    return "";
  }
}
