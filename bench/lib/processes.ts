// Child processes the benchmark starts (Deno servers, Deno and Node measurement scripts). Each is
// registered so that the runner stops every one of them, also when a group fails or on Ctrl-C.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { freePort } from "../../scripts/local/embedded-postgres.ts";
import { DENO_BIN } from "../../scripts/local/function-server.ts";
import { acceptsConnections } from "../../scripts/shared/accepts-connections.ts";
import { PROJECT_ROOT } from "../../scripts/shared/project-paths.ts";

export const BENCH_DIR = path.join(PROJECT_ROOT, "bench");

export interface RunningProcess {
  pid: number;
  /** What the process printed so far (stdout and stderr), for error messages. */
  output(): string;
  /** Resident set size now, from /proc (Linux). */
  rssBytes(): number;
  stop(): Promise<void>;
  exited: Promise<number | null>;
}

const running = new Set<RunningProcess>();

export function startProcess(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): RunningProcess {
  const child: ChildProcess = spawn(command, args, {
    cwd: options.cwd ?? PROJECT_ROOT,
    env: { ...process.env, NO_COLOR: "1", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const handle: RunningProcess = {
    pid: child.pid!,
    output: () => output,
    rssBytes() {
      const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
      const match = /VmRSS:\s+(\d+)\s+kB/.exec(status);
      if (!match) throw new Error(`no VmRSS for pid ${child.pid}`);
      return Number(match[1]) * 1024;
    },
    async stop() {
      running.delete(handle);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
      await exited;
      clearTimeout(timer);
    },
    exited,
  };
  running.add(handle);
  return handle;
}

/** Runs a process to completion and returns its stdout; fails with its output on a non-zero exit. */
export async function runToCompletion(command: string, args: string[], options: { env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  let stdout = "";
  const child = spawn(command, args, { cwd: PROJECT_ROOT, env: { ...process.env, NO_COLOR: "1", ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", resolve);
  });
  if (code !== 0) throw new Error(`${path.basename(command)} ${args.join(" ")} exited ${code}:\n${stdout}${stderr}`);
  return stdout;
}

export async function stopAllProcesses(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}

export interface DenoServer {
  process: RunningProcess;
  port: number;
  origin: string;
}

/** Starts `deno serve` on 127.0.0.1:`port` without waiting for it (cold start times this). */
export function spawnDenoServe(entry: string, port: number, options: DenoServeOptions = {}): RunningProcess {
  const args = ["serve", "--quiet", "--host", "127.0.0.1", "--port", String(port), ...(options.denoFlags ?? []), ...(options.permissions ?? []), entry];
  const env = { DENO_NO_UPDATE_CHECK: "1", ...options.env };
  // taskset execs deno, so the process (and its pid, for CPU readings) is deno itself.
  if (options.cpu !== undefined) return startProcess("taskset", ["-c", String(options.cpu), DENO_BIN, ...args], { env });
  return startProcess(DENO_BIN, args, { env });
}

export interface DenoServeOptions {
  env?: Record<string, string>;
  permissions?: string[];
  /** Other flags for `deno serve` (e.g. --cpu-prof). */
  denoFlags?: string[];
  /** Pin the server (every thread of it) to this core. */
  cpu?: number;
}

/** `deno serve` on 127.0.0.1 and a free port; resolves once `readyPath` answers at all. */
export async function startDenoServe(
  entry: string,
  options: DenoServeOptions & { readyPath?: string; timeoutMs?: number } = {},
): Promise<DenoServer> {
  const port = await freePort();
  const proc = spawnDenoServe(entry, port, options);
  const origin = `http://127.0.0.1:${port}`;
  const ready = await waitForAnswer(`${origin}${options.readyPath ?? "/"}`, () => true, options.timeoutMs ?? 60_000, proc);
  if (ready === null) {
    await proc.stop();
    throw new Error(`deno serve ${entry} did not answer within ${options.timeoutMs ?? 60_000} ms:\n${proc.output()}`);
  }
  return { process: proc, port, origin };
}

/**
 * Polls `url` until `isCorrect` accepts an answer; resolves with the time it took (ms), or null
 * on timeout or when the process exits first.
 *
 * Until the server listens, its port is tried every millisecond with a bare TCP connect (refused
 * at once, next to no CPU), and only then asked over HTTP. Polling with fetch every 5 ms instead
 * (a refused fetch takes about a millisecond of its own) left up to ~7 ms between the server
 * listening and being asked: an answer that is ready when the server listens (a bare server's)
 * paid that, one that waits for work of its own mostly did not, so cold-start ratios came out
 * about 2 ms too kind to the slower server.
 */
export async function waitForAnswer(
  url: string,
  isCorrect: (status: number, body: string) => boolean,
  timeoutMs: number,
  proc?: RunningProcess,
  init?: RequestInit,
): Promise<number | null> {
  const started = performance.now();
  let exited = false;
  void proc?.exited.then(() => (exited = true));
  const { hostname, port, protocol } = new URL(url);
  const tcpPort = Number(port) || (protocol === "https:" ? 443 : 80);
  while (performance.now() - started < timeoutMs && !exited && !(await acceptsConnections(hostname, tcpPort))) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  while (performance.now() - started < timeoutMs && !exited) {
    try {
      const response = await fetch(url, { ...init, signal: AbortSignal.timeout(2_000) });
      const body = await response.text();
      if (isCorrect(response.status, body)) return performance.now() - started;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return null;
}
