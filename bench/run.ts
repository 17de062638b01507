// `npm run bench`: every measurement group in one go on this machine, then bench/RESULTS.md and
// bench/results.json (docs/benchmarks.md says how to read them). Not part of `npm test`.
//
//   npm run bench                          every group
//   npm run bench -- --only core,http      the groups whose id starts with one of these (core, http,
//                                          cost, cold, propagation, memory, db, jobs; a partial
//                                          run still rewrites RESULTS.md: use it while developing)
//
// Every process and database the run makes is stopped or dropped at the end, also on failure or
// Ctrl-C. A group that cannot run records "not measured: <reason>" rows instead of figures.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { DEFAULT_SETTINGS, type BenchContext, type BenchGroup } from "./lib/context.ts";
import { dropAllDatabases, serverVersion } from "./lib/databases.ts";
import { describeMachine } from "./lib/machine.ts";
import { stopAllProcesses } from "./lib/processes.ts";
import { writeReport } from "./lib/report.ts";
import { ResultBook } from "./lib/results.ts";
import { ensureServer, stopServerIfStarted } from "./lib/server.ts";
import { evaluationCore } from "./groups/evaluation-core.ts";
import { httpLookups } from "./groups/http-lookups.ts";
import { requestCosts } from "./groups/request-costs.ts";
import { coldStart } from "./groups/cold-start.ts";
import { propagation } from "./groups/propagation.ts";
import { memory } from "./groups/memory.ts";
import { databaseAtScale } from "./groups/database-at-scale.ts";
import { workerFlags } from "./groups/worker-flags.ts";

interface RegisteredGroup {
  id: string;
  group: BenchGroup;
}

const GROUPS: RegisteredGroup[] = [
  { id: "core", group: evaluationCore },
  { id: "http", group: httpLookups },
  { id: "cost", group: requestCosts },
  { id: "cold", group: coldStart },
  { id: "propagation", group: propagation },
  { id: "memory", group: memory },
  { id: "db", group: databaseAtScale },
  { id: "jobs", group: workerFlags },
];

function selectedGroups(argv: string[]): RegisteredGroup[] {
  const index = argv.indexOf("--only");
  if (index < 0) return GROUPS;
  const wanted = (argv[index + 1] ?? "").split(",").filter(Boolean);
  const chosen = GROUPS.filter((g) => wanted.some((w) => g.id.startsWith(w)));
  if (chosen.length === 0) throw new Error(`--only ${wanted.join(",")} matches none of ${GROUPS.map((g) => g.id).join(", ")}`);
  return chosen;
}

/** wrk's version line ("wrk debian/4.1.0-3+b2 [epoll]"), or why there is none yet. */
function wrkVersion(): string {
  try {
    // wrk prints its version and usage, and exits 1, when given no URL.
    execFileSync("wrk", ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    const out = String((error as { stdout?: string }).stdout ?? "");
    if (out.startsWith("wrk ")) return out.split("\n")[0]!.replace(/\s*Copyright.*$/, "");
  }
  return "wrk (not installed before the run)";
}

async function cleanUp(): Promise<void> {
  await stopAllProcesses();
  await dropAllDatabases();
  await stopServerIfStarted();
}

async function main(): Promise<void> {
  const groups = selectedGroups(process.argv.slice(2));
  const startedAt = new Date();
  const started = performance.now();
  const log = (message: string) => console.log(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}`);
  process.once("SIGINT", () => {
    log("interrupted: stopping processes, dropping databases");
    void cleanUp().finally(() => process.exit(130));
  });

  await ensureServer(log);
  const machine = describeMachine(await serverVersion(), wrkVersion());
  const book = new ResultBook();
  const context: BenchContext = { book, settings: DEFAULT_SETTINGS, log };
  try {
    for (const { group } of groups) {
      book.startGroup(group.title);
      log(`== ${group.title}`);
      try {
        await group.run(context);
      } catch (error) {
        const reason = (error as Error).message.split("\n")[0]!;
        log(`${group.title} failed: ${(error as Error).stack ?? reason}`);
        book.skip(`${group.title}.failed`, `${group.title}: the rest of this group`, `the group failed: ${reason}`);
      }
      await stopAllProcesses();
    }
  } finally {
    await cleanUp();
  }
  const report = {
    startedAt: startedAt.toISOString(),
    durationSeconds: (performance.now() - started) / 1000,
    settings: DEFAULT_SETTINGS,
    machine,
    figures: book.figures,
    notMeasured: book.notMeasured,
  };
  writeReport(report);
  log(`wrote bench/RESULTS.md and bench/results.json (${book.figures.length} figures, ${book.notMeasured.length} not measured)`);
  console.log(readFileSync(new URL("./RESULTS.md", import.meta.url), "utf8"));
}

main().catch(async (error) => {
  console.error(error);
  await cleanUp();
  process.exit(1);
});
