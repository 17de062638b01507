// Cold start: from `deno serve` being started to the function's first correct answer (status 200
// and the value the rule gives), the database already up. Compared with a bare Deno.serve started
// the same way, to its first answer. Deno's caches are warm (npm packages downloaded, modules
// compiled), as on a host that has run the function before.
import path from "node:path";
import { freePort } from "../../scripts/local/embedded-postgres.ts";
import type { BenchGroup } from "../lib/context.ts";
import * as flagsFunction from "../lib/flags-function.ts";
import { BENCH_DIR, spawnDenoServe, waitForAnswer } from "../lib/processes.ts";
import { ratioTarget } from "../lib/results.ts";

const STARTS = 5;

export const coldStart: BenchGroup = {
  title: "Cold start",
  async run(context) {
    const database = await flagsFunction.flagsDatabase();
    const bare: number[] = [];
    const fn: number[] = [];
    // One unmeasured start of each fills Deno's caches for this code.
    for (let start = -1; start < STARTS; start++) {
      const port = await freePort();
      const began = performance.now();
      const proc = spawnDenoServe(path.join(BENCH_DIR, "deno", "constant-json.ts"), port, { env: { BENCH_BODY: "{}" }, permissions: ["--allow-env=BENCH_BODY"] });
      const answered = await waitForAnswer(`http://127.0.0.1:${port}/`, (status) => status === 200, 60_000, proc);
      const bareMs = performance.now() - began;
      await proc.stop();
      if (answered === null) throw new Error(`bare Deno.serve never answered:\n${proc.output()}`);

      const fnBegan = performance.now();
      const spawned = await flagsFunction.spawnFlagsFunction(database);
      const subject = "tenant-1";
      const correct = await waitForAnswer(
        `${spawned.origin}${flagsFunction.singleFlagPath("DLQ_ENABLED", subject)}`,
        (status, body) => status === 200 && flagsFunction.answersCorrectly(body, "DLQ_ENABLED", subject),
        120_000,
        spawned.process,
        { headers: spawned.credentials.publishable },
      );
      const fnMs = performance.now() - fnBegan;
      await spawned.process.stop();
      if (correct === null) throw new Error(`the function never answered correctly:\n${spawned.process.output()}`);
      context.log(`  start ${start + 1}: bare ${Math.round(bareMs)} ms, function ${Math.round(fnMs)} ms${start < 0 ? " (fills caches, not counted)" : ""}`);
      if (start < 0) continue;
      bare.push(bareMs);
      fn.push(fnMs);
    }
    context.book.add({ id: "cold.bare", label: "bare Deno.serve: process start to first answer", unit: "ms", samples: bare });
    context.book.add({
      id: "cold.function",
      label: "feature-flags: process start to first correct answer (incl. first flags read)",
      unit: "ms",
      samples: fn,
      baselineId: "cold.bare",
      target: ratioTarget({ max: 1.5 }),
    });
  },
};
