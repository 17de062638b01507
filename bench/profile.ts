// `npx tsx bench/profile.ts [seconds] [GET|bulk|ofrep|ofrep-single] [publishable|secret|user]`: where a lookup's
// time goes (with that credential; the publishable key unless given), from a CPU
// profile of the real function under load. The function is served by `deno serve --cpu-prof` on
// core 0 (against a fresh database with every migration, as the bench serves it), wrk loads it
// from core 1 with a new subject per request, then the top functions by self time are printed and
// the .cpuprofile is kept under bench/tmp/ for Chrome DevTools. Not part of `npm run bench`.
import { readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { dropAllDatabases } from "./lib/databases.ts";
import { flagsDatabase, startFlagsFunction } from "./lib/flags-function.ts";
import { BENCH_DIR, stopAllProcesses } from "./lib/processes.ts";
import { ensureWrk, runWrk, SERVER_CPU } from "./lib/wrk.ts";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
}

const seconds = Number(process.argv[2] ?? 10);
const shape = process.argv[3] ?? "GET";
const templates: Record<string, { path: string; method?: "POST"; body?: string }> = {
  GET: { path: "/feature-flags/DLQ_ENABLED?subject={subject}" },
  bulk: { path: "/feature-flags?subject={subject}" },
  ofrep: { path: "/feature-flags/ofrep/v1/evaluate/flags", method: "POST", body: '{"context":{"targetingKey":"{subject}"}}' },
  "ofrep-single": { path: "/feature-flags/ofrep/v1/evaluate/flags/DLQ_ENABLED", method: "POST", body: '{"context":{"targetingKey":"{subject}"}}' },
};
const credential = process.argv[4] ?? "publishable";
if (credential !== "publishable" && credential !== "secret" && credential !== "user") throw new Error(`unknown credential ${credential}: publishable, secret or user`);
const template = templates[shape];
if (!template) throw new Error(`unknown shape ${shape}: one of ${Object.keys(templates).join(", ")}`);

const profileDir = path.join(BENCH_DIR, "tmp", `profile-${Date.now()}`);
try {
  const wrk = ensureWrk(console.log);
  const fn = await startFlagsFunction(await flagsDatabase(), {
    cpu: SERVER_CPU,
    entry: path.join(BENCH_DIR, "deno", "profiled-function.ts"),
    denoFlags: ["--cpu-prof", `--cpu-prof-dir=${profileDir}`],
  });
  const result = await runWrk(wrk, { origin: fn.server.origin, template, headers: fn.credentials[credential], connections: 32, durationSeconds: seconds, subjects: 0 });
  console.log(`${shape} (${credential}): ${Math.round(result.requestsPerSecond)} req/s, p99 ${result.p99Ms.toFixed(2)} ms, wrk ${(result.generatorCpuShare * 100).toFixed(0)} % of its core`);
  await fn.server.process.stop();
  const file = readdirSync(profileDir).find((name) => name.endsWith(".cpuprofile"));
  if (!file) throw new Error(`no .cpuprofile in ${profileDir}: did the function exit cleanly?`);
  printTop(JSON.parse(readFileSync(path.join(profileDir, file), "utf8")) as CpuProfile);
  console.log(`profile: ${path.join(profileDir, file)}`);
} catch (error) {
  rmSync(profileDir, { recursive: true, force: true });
  throw error;
} finally {
  await stopAllProcesses();
  await dropAllDatabases();
}

function printTop(profile: CpuProfile): void {
  const self = new Map<number, number>();
  for (const id of profile.samples) self.set(id, (self.get(id) ?? 0) + 1);
  const byName = new Map<string, number>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const name = `${functionName || "(anonymous)"} ${url ? `${url.replace(/^.*\/(functions|node_modules|ext)\//, "$1/")}:${lineNumber + 1}` : ""}`.trim();
    byName.set(name, (byName.get(name) ?? 0) + (self.get(node.id) ?? 0));
  }
  // Shares of the busy samples: "(idle)" is the main thread waiting (or the core lent to others).
  const idle = byName.get("(idle)") ?? 0;
  byName.delete("(idle)");
  const busy = profile.samples.length - idle;
  console.log(`${busy} busy samples of ${profile.samples.length}; shares of the busy ones:`);
  const rows = [...byName].sort((a, b) => b[1] - a[1]).slice(0, 30);
  for (const [name, count] of rows) console.log(`${((count / busy) * 100).toFixed(1).padStart(5)} %  ${name}`);
}
