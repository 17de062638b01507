// HTTP load with wrk, a native load generator, pinned to its own core away from the server's.
//
// Why not autocannon (bench/lib/load.ts): in the runner's Node process it tops out near the rate
// of a bare Deno.serve on this machine, so every server looks alike. wrk in one thread on a core
// of its own, with the server pinned to the other core (`taskset`), measures the server.
//
// Each run also reports the generator's own CPU time (bash's `times` after wrk exits): if wrk
// kept its core busy, the generator, not the server, set the rate, and the figure says so.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PROJECT_ROOT } from "../../scripts/shared/project-paths.ts";
import { BENCH_DIR } from "./processes.ts";

/** The server's core and the load generator's core (needs two; the bench refuses fewer). */
export const SERVER_CPU = 0;
export const GENERATOR_CPU = 1;

const SCRIPT = path.join(BENCH_DIR, "wrk", "subjects.lua");
const SUBJECT = "{subject}";

/** A request with `{subject}` where the subject goes (in the path or in the body). */
export interface RequestTemplate {
  method?: "GET" | "POST";
  path: string;
  /** A JSON body (sent with content-type application/json). */
  body?: string;
}

export function fillTemplate(template: RequestTemplate, subject: string): { path: string; method: "GET" | "POST"; body?: string } {
  return {
    method: template.method ?? "GET",
    path: template.path.replace(SUBJECT, encodeURIComponent(subject)),
    body: template.body?.replace(SUBJECT, subject),
  };
}

export interface WrkOptions {
  origin: string;
  template: RequestTemplate;
  headers?: Record<string, string>;
  connections: number;
  durationSeconds: number;
  /** 0: a new subject per request; n: n subjects in turn. */
  subjects: number;
}

export interface WrkResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  wallSeconds: number;
  /** wrk's user + system CPU seconds, and that over the wall time (1 = its core was saturated). */
  generatorCpuSeconds: number;
  generatorCpuShare: number;
}

/** Where wrk is, installing Debian's package first when it is missing and this runs as root. */
export function ensureWrk(log: (message: string) => void): string {
  const found = findWrk();
  if (found) return found;
  if (process.getuid?.() !== 0) {
    throw new Error("wrk is not installed and this is not root: install it with `sudo apt-get install -y wrk` (Debian/Ubuntu), then run the bench again");
  }
  log("wrk is missing: apt-get install -y wrk");
  execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit" });
  execFileSync("apt-get", ["install", "-y", "-qq", "wrk"], { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  const installed = findWrk();
  if (!installed) throw new Error("apt-get install wrk finished but no wrk is on PATH");
  return installed;
}

/** Where wrk is on PATH, or undefined. */
export function findWrk(): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    if (dir && existsSync(path.join(dir, "wrk"))) return path.join(dir, "wrk");
  }
  return undefined;
}

/** Why the HTTP figures cannot be pinned apart here, or undefined when they can. */
export function pinningUnavailable(): string | undefined {
  if (os.cpus().length < 2) return `this machine has ${os.cpus().length} core: the server and the load generator need one each`;
  try {
    execFileSync("taskset", ["-c", String(SERVER_CPU), "true"]);
  } catch {
    return "taskset (util-linux) is not available to pin the server and the load generator to separate cores";
  }
  return undefined;
}

interface WrkJson {
  requests: number;
  durationUs: number;
  connectErrors: number;
  readErrors: number;
  writeErrors: number;
  statusErrors: number;
  timeouts: number;
  p50Us: number;
  p99Us: number;
}

/** One wrk run; throws when any answer was not a 2xx or any socket error occurred. */
export async function runWrk(wrk: string, options: WrkOptions): Promise<WrkResult> {
  const { hostname } = new URL(options.origin);
  if (hostname !== "127.0.0.1") throw new Error(`load is only sent to 127.0.0.1, not ${hostname}`);
  const method = options.template.method ?? "GET";
  const [pathBefore, pathAfter] = splitAt(options.template.body === undefined ? options.template.path : `${options.template.path}${SUBJECT}`);
  const headers = { ...options.headers, ...(options.template.body !== undefined ? { "content-type": "application/json" } : {}) };
  const env: Record<string, string> = {
    WRK_METHOD: method,
    WRK_SUBJECTS: String(options.subjects),
    WRK_HEADERS: Object.entries(headers).map(([name, value]) => `${name}: ${value}`).join("\n"),
  };
  if (options.template.body === undefined) {
    env.WRK_PATH_BEFORE = pathBefore;
    env.WRK_PATH_AFTER = pathAfter;
  } else {
    const [bodyBefore, bodyAfter] = splitAt(options.template.body);
    Object.assign(env, { WRK_PATH_BEFORE: options.template.path, WRK_BODY_BEFORE: bodyBefore, WRK_BODY_AFTER: bodyAfter });
  }
  const args = ["-t1", `-c${options.connections}`, `-d${options.durationSeconds}s`, "--timeout", "10s", "-s", SCRIPT, options.origin];
  // bash's `times` prints the CPU time of its finished children: wrk's own, exactly.
  const shell = `taskset -c ${GENERATOR_CPU} "$0" "$@"; rc=$?; times; exit $rc`;
  const started = performance.now();
  const stdout = await capture("bash", ["-c", shell, wrk, ...args], env);
  const wallSeconds = (performance.now() - started) / 1000;
  const line = stdout.split("\n").find((l) => l.startsWith("WRK_JSON "));
  if (!line) throw new Error(`wrk printed no summary:\n${stdout}`);
  const json = JSON.parse(line.slice("WRK_JSON ".length)) as WrkJson;
  const failures = json.connectErrors + json.readErrors + json.writeErrors + json.statusErrors + json.timeouts;
  if (failures > 0 || json.requests === 0) {
    throw new Error(`load on ${options.origin}${options.template.path}: ${json.requests} answers, ${json.statusErrors} not 2xx/3xx, socket errors connect ${json.connectErrors} read ${json.readErrors} write ${json.writeErrors} timeout ${json.timeouts}`);
  }
  const cpuSeconds = childCpuSeconds(stdout);
  const seconds = json.durationUs / 1e6;
  return {
    requestsPerSecond: json.requests / seconds,
    p50Ms: json.p50Us / 1000,
    p99Ms: json.p99Us / 1000,
    requests: json.requests,
    wallSeconds,
    generatorCpuSeconds: cpuSeconds,
    generatorCpuShare: cpuSeconds / seconds,
  };
}

function splitAt(text: string): [string, string] {
  const at = text.indexOf(SUBJECT);
  if (at < 0) throw new Error(`request template ${text} has no ${SUBJECT}`);
  return [text.slice(0, at), text.slice(at + SUBJECT.length)];
}

/** The children's user and system time from bash's `times` (its second line: "0m1.230s 0m0.450s"). */
function childCpuSeconds(stdout: string): number {
  const lines = stdout.trim().split("\n");
  const match = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/.exec(lines.at(-1)!.trim());
  if (!match) throw new Error(`no CPU times after wrk's output:\n${stdout}`);
  return Number(match[1]) * 60 + Number(match[2]) + Number(match[3]) * 60 + Number(match[4]);
}

function capture(command: string, args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: PROJECT_ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve(stdout) : reject(new Error(`wrk exited ${code}:\n${stdout}${stderr}`))));
  });
}

const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;

/** A live process's user + system CPU seconds so far, from /proc (Linux). */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may contain spaces) in parentheses; utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}
