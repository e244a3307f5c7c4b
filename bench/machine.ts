/**
 * What the benchmark ran on: CPU, cores, memory, kernel, and the versions of
 * Deno, Nix and attic-ci, for the docs.
 *
 * @module
 */

import { sh } from "../tests/helpers/nix.ts";

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
  /** SHA-256 (first 12 hex digits) of the helper's sources (src/) when the run started. */
  readonly atticCiSources: string;
  /** SHA-256 (first 12 hex digits) of the attic stand-in's sources when the run started. */
  readonly atticDoubleSources: string;
  /** The same of the Attic test server's sources (absent in older results). */
  readonly atticServerSources?: string;
}

/** Collect the machine's description; unknown parts become "unknown". */
export async function describeMachine(repoRoot: string): Promise<MachineInfo> {
  const cpuinfo = await readOr("/proc/cpuinfo");
  const meminfo = await readOr("/proc/meminfo");
  const osRelease = await readOr("/etc/os-release");
  const memKb = Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)?.[1] ?? "0");
  const nix = (await sh("nix", ["--version"])).stdout.trim() || "unknown";
  let atticCi = "unknown";
  try {
    // The version lives in deno.json (src/version.ts reads it from there).
    const denoJson = JSON.parse(await Deno.readTextFile(`${repoRoot}/deno.json`));
    if (typeof denoJson.version === "string") atticCi = denoJson.version;
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
    atticCiSources: await treeHash(`${repoRoot}/src`),
    atticDoubleSources: await treeHash(`${repoRoot}/tests/attic_double`),
    atticServerSources: await treeHash(`${repoRoot}/tests/attic_server`),
  };
}

/** A short SHA-256 over the names and contents of the files under `dir`, sorted. */
export async function treeHash(dir: string): Promise<string> {
  const files: string[] = [];
  const walk = async (at: string) => {
    try {
      for await (const entry of Deno.readDir(at)) {
        const path = `${at}/${entry.name}`;
        if (entry.isDirectory) await walk(path);
        else if (entry.isFile) files.push(path);
      }
    } catch {
      // missing: hash of nothing
    }
  };
  await walk(dir);
  files.sort();
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [];
  for (const file of files) {
    parts.push(encoder.encode(`${file.slice(dir.length)}\0`));
    parts.push(await Deno.readFile(file));
  }
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.length;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return Array.from(digest.slice(0, 6), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function readOr(file: string): Promise<string> {
  try {
    return await Deno.readTextFile(file);
  } catch {
    return "";
  }
}
