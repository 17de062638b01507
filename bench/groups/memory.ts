// Memory: resident size of the function's process as lookups over distinct subjects accumulate.
// No per-subject state is kept, so RSS after 1,000,000 lookups should match RSS after 100,000.
// One process, one pass (1,000,000 lookups take minutes here): each row is a single run.
import type { BenchGroup } from "../lib/context.ts";
import { loadFlagsFunction } from "../lib/function-presence.ts";
import { loadOrThrow } from "../lib/load.ts";
import type { Target } from "../lib/results.ts";

const CHUNKS = 10;
/** Allowed growth from 100,000 to 1,000,000 lookups (allocator and JIT noise, not subjects). */
const GROWTH_LIMIT = 1.1;
const mib = (bytes: number) => bytes / 1024 / 1024;

export const memory: BenchGroup = {
  title: "Memory",
  async run(context) {
    const flagsFunction = await loadFlagsFunction();
    if (typeof flagsFunction === "string") {
      context.book.skip("memory", `RSS after ${context.settings.subjects.toLocaleString("en-US")} lookups over distinct subjects`, flagsFunction);
      return;
    }
    const fn = await flagsFunction.startFlagsFunction(await flagsFunction.flagsDatabase());
    const total = context.settings.subjects;
    const chunk = Math.floor(total / CHUNKS);
    const rss: number[] = [];
    try {
      const startup = fn.server.process.rssBytes();
      for (let done = 0; done < total; done += chunk) {
        await loadOrThrow({
          origin: fn.server.origin,
          connections: context.settings.connections,
          amount: chunk,
          headers: fn.credentials.publishable,
          requestOf: (i) => ({ path: flagsFunction.singleFlagPath("DLQ_ENABLED", `memory-subject-${done + i}`) }),
        });
        rss.push(fn.server.process.rssBytes());
        context.log(`  ${(done + chunk).toLocaleString("en-US")} lookups: RSS ${mib(rss.at(-1)!).toFixed(1)} MiB`);
      }
      const first = `${chunk.toLocaleString("en-US")}`;
      context.book.add({ id: "memory.startup", label: "RSS after start and the first correct answer", unit: "MiB", samples: [mib(startup)] });
      context.book.add({ id: "memory.first-chunk", label: `RSS after ${first} lookups over distinct subjects`, unit: "MiB", samples: [mib(rss[0]!)] });
      context.book.add({
        id: "memory.all",
        label: `RSS after ${total.toLocaleString("en-US")} lookups over distinct subjects`,
        unit: "MiB",
        samples: [mib(rss.at(-1)!)],
        baselineId: "memory.first-chunk",
        target: (figure): Target => {
          const ratio = figure.baseline!.ratio;
          const met = ratio <= GROWTH_LIMIT;
          return { text: `<= ${GROWTH_LIMIT.toFixed(2)} x RSS after ${first}`, met, shortfall: met ? undefined : `grew ${((ratio - 1) * 100).toFixed(0)} % with subjects` };
        },
      });
      context.book.add({ id: "memory.second-half", label: `RSS sampled every ${first} lookups over the second half`, unit: "MiB", samples: rss.slice(CHUNKS / 2).map(mib) });
    } finally {
      await fn.server.process.stop();
    }
  },
};
