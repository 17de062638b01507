// The machine a run measured: every figure depends on it, so RESULTS.md names it.
import { execFileSync } from "node:child_process";
import os from "node:os";
import { DENO_BIN } from "../../scripts/local/function-server.ts";

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  deno: string;
  postgres: string;
  /** The HTTP load generator and its version. */
  loadGenerator: string;
}

export function describeMachine(postgresVersion: string, loadGenerator: string): Machine {
  const cpus = os.cpus();
  const deno = execFileSync(DENO_BIN, ["--version"], { encoding: "utf8" }).split("\n")[0]!.replace(/^deno\s+/, "");
  return {
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    deno,
    postgres: postgresVersion,
    loadGenerator,
  };
}
