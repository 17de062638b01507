// Propagation: from an UPDATE of feature_flags as the dashboard's table editor does it (a plain
// UPDATE by the table's owner, committed) until every following lookup returns the new value, at
// the function's default cache TTL. The pause before each toggle grows by TTL / TOGGLES, so that
// successive toggles land at different points of the cache's cycle and the distribution shows
// both ends: a change just after a read (served up to a whole TTL later) and just before one.
import type { BenchGroup } from "../lib/context.ts";
import * as flagsFunction from "../lib/flags-function.ts";
import { ceilingTarget } from "../lib/results.ts";

const TOGGLES = 8;
const POLL_GAP_MS = 10;
/** After the first new answer, keep looking this long to be sure no old answer follows. */
const CONFIRM_MS = 500;
/** Allowance over the TTL: one poll gap and one read of the flags table. */
const SLACK_MS = 250;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const propagation: BenchGroup = {
  title: "Propagation of a dashboard change",
  async run(context) {
    const database = await flagsFunction.flagsDatabase();
    const fn = await flagsFunction.startFlagsFunction(database);
    const ttl = flagsFunction.DEFAULT_TTL_MS;
    const key = "JOB_HEARTBEAT";
    const url = `${fn.server.origin}${flagsFunction.singleFlagPath(key, "tenant-1")}`;
    const lookup = async (): Promise<boolean> => {
      const response = await fetch(url, { headers: fn.credentials.publishable });
      const body = (await response.json()) as { value?: unknown };
      if (response.status !== 200 || typeof body.value !== "boolean") throw new Error(`lookup answered ${response.status}: ${JSON.stringify(body)}`);
      return body.value;
    };
    let enabled = (await database.sql`select enabled from public.feature_flags where key = ${key}`)[0]!.enabled as boolean;
    const delays: number[] = [];
    try {
      for (let toggle = 0; toggle < TOGGLES; toggle++) {
        await sleep(((toggle + 0.5) / TOGGLES) * ttl);
        enabled = !enabled;
        await database.sql`update public.feature_flags set enabled = ${enabled} where key = ${key}`;
        const updatedAt = performance.now();
        // JOB_HEARTBEAT is at 100 %: its value for any subject is `enabled`.
        let settledAt: number | null = null;
        while (settledAt === null || performance.now() - settledAt < CONFIRM_MS) {
          const value = await lookup();
          const answeredAt = performance.now();
          if (value !== enabled) settledAt = null;
          else settledAt ??= answeredAt;
          if (answeredAt - updatedAt > ttl * 4) throw new Error(`lookups still answer the old value ${ttl * 4} ms after the UPDATE`);
          await sleep(POLL_GAP_MS);
        }
        delays.push(settledAt - updatedAt);
        context.log(`  toggle ${toggle + 1}: enabled=${enabled} served after ${Math.round(settledAt - updatedAt)} ms`);
      }
    } finally {
      await database.sql`update public.feature_flags set enabled = true where key = ${key}`;
      await fn.server.process.stop();
    }
    context.book.add({
      id: "propagation.ttl-default",
      label: `UPDATE to every lookup new, default TTL ${ttl} ms, ${TOGGLES} toggles spread over the TTL`,
      unit: "ms",
      samples: delays,
      target: ceilingTarget(ttl + SLACK_MS, `every toggle <= TTL + ${SLACK_MS} ms (one poll, one read)`),
    });
  },
};
