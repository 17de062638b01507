// Memory: what the function's process keeps as lookups over distinct subjects accumulate. It keeps
// no per-subject state, so after 1,000,000 lookups it should hold what it held after 100,000.
// After each 100,000 lookups a full garbage collection is run through the inspector (Chrome
// DevTools Protocol, bench/deno/heap-after-gc.ts), then the V8 heap in use and the process's
// resident size are read: without the GC, RSS mostly shows garbage V8 has not collected yet.
// One process, one pass (1,000,000 lookups take minutes here): each row is a single run.
import path from "node:path";
import { freePort } from "../../scripts/local/embedded-postgres.ts";
import type { BenchGroup } from "../lib/context.ts";
import * as flagsFunction from "../lib/flags-function.ts";
import { loadOrThrow } from "../lib/load.ts";
import { DENO_BIN } from "../../scripts/local/function-server.ts";
import { BENCH_DIR, runToCompletion } from "../lib/processes.ts";
import type { Figure, Target } from "../lib/results.ts";

const CHUNKS = 10;
/** Allowed growth from 100,000 to 1,000,000 lookups (allocator and JIT noise, not subjects). */
const GROWTH_LIMIT = 1.1;
const mib = (bytes: number) => bytes / 1024 / 1024;

function growthTarget(first: string): (figure: Omit<Figure, "target">) => Target {
  return (figure) => {
    const ratio = figure.baseline!.ratio;
    const met = ratio <= GROWTH_LIMIT;
    return { text: `<= ${GROWTH_LIMIT.toFixed(2)} x after ${first}`, met, shortfall: met ? undefined : `grew ${((ratio - 1) * 100).toFixed(0)} % from ${first} lookups` };
  };
}

async function heapAfterGc(inspector: string): Promise<number> {
  const stdout = await runToCompletion(DENO_BIN, ["run", "--quiet", "--allow-net=127.0.0.1", path.join(BENCH_DIR, "deno", "heap-after-gc.ts"), inspector]);
  return (JSON.parse(stdout.trim()) as { usedBytes: number }).usedBytes;
}

export const memory: BenchGroup = {
  title: "Memory",
  async run(context) {
    const inspector = `127.0.0.1:${await freePort()}`;
    const fn = await flagsFunction.startFlagsFunction(await flagsFunction.flagsDatabase(), { denoFlags: [`--inspect=${inspector}`] });
    const total = context.settings.subjects;
    const chunk = Math.floor(total / CHUNKS);
    const rss: number[] = [];
    const heap: number[] = [];
    try {
      const startupHeap = await heapAfterGc(inspector);
      const startupRss = fn.server.process.rssBytes();
      for (let done = 0; done < total; done += chunk) {
        await loadOrThrow({
          origin: fn.server.origin,
          connections: context.settings.connections,
          amount: chunk,
          headers: fn.credentials.publishable,
          requestOf: (i) => ({ path: flagsFunction.singleFlagPath("DLQ_ENABLED", `memory-subject-${done + i}`) }),
        });
        heap.push(await heapAfterGc(inspector));
        rss.push(fn.server.process.rssBytes());
        context.log(`  ${(done + chunk).toLocaleString("en-US")} lookups: heap after GC ${mib(heap.at(-1)!).toFixed(2)} MiB, RSS ${mib(rss.at(-1)!).toFixed(1)} MiB`);
      }
      const first = chunk.toLocaleString("en-US");
      const all = total.toLocaleString("en-US");
      const { book } = context;
      book.add({ id: "memory.heap.startup", label: "V8 heap in use after a full GC: after start and the first answer", unit: "MiB", samples: [mib(startupHeap)] });
      book.add({ id: "memory.heap.first", label: `V8 heap in use after a full GC: after ${first} lookups over distinct subjects`, unit: "MiB", samples: [mib(heap[0]!)] });
      book.add({ id: "memory.heap.all", label: `V8 heap in use after a full GC: after ${all} lookups`, unit: "MiB", samples: [mib(heap.at(-1)!)], baselineId: "memory.heap.first", target: growthTarget(first) });
      book.add({ id: "memory.rss.startup", label: "RSS after start and the first answer", unit: "MiB", samples: [mib(startupRss)] });
      book.add({ id: "memory.rss.first", label: `RSS after ${first} lookups (after the GC)`, unit: "MiB", samples: [mib(rss[0]!)] });
      book.add({ id: "memory.rss.all", label: `RSS after ${all} lookups (after the GC)`, unit: "MiB", samples: [mib(rss.at(-1)!)], baselineId: "memory.rss.first", target: growthTarget(first) });
      book.add({ id: "memory.rss.second-half", label: `RSS sampled every ${first} lookups over the second half`, unit: "MiB", samples: rss.slice(CHUNKS / 2).map(mib) });
    } finally {
      await fn.server.process.stop();
    }
  },
};
