// Heartbeat write cost: redundant heartbeats write nothing (the server-side throttle), each
// recorded heartbeat is one row update, and measureHeartbeatCost (for `npm run bench`) reports
// what they cost. Speed is not asserted here (that belongs to the bench).
import { beforeAll, describe, expect, it } from "vitest";
import { claimJobs, heartbeatJob } from "../../../client/job-rpc.ts";
import { measureHeartbeatCost } from "../../../bench/lib/heartbeat-cost.ts";
import { usingServer } from "../../support/test-database.ts";
import { seedJobs } from "../../support/job-fixtures.ts";
import { setSettledFlag } from "../../support/flags.ts";
import { usePushedDatabase } from "../../support/pushed-database.ts";

const db = usePushedDatabase();

beforeAll(async () => {
  await setSettledFlag(db.sql, "JOB_HEARTBEAT", true, 100);
});

describe("heartbeat write cost", () => {
  it("a burst of heartbeats inside min_interval writes the row once (xmin changes once)", async () => {
    await seedJobs(db.sql, 1);
    const [job] = await claimJobs(db.sql, "w1");
    const xmin = async () => (await db.sql`select xmin::text as x from public.qc_jobs where id = ${job!.id}`)[0]!.x as string;
    const beforeFirst = await xmin();
    expect((await heartbeatJob(db.sql, "w1", job!, 15_000)).reason).toBe("recorded");
    const afterFirst = await xmin();
    expect(afterFirst).not.toBe(beforeFirst);
    for (let i = 0; i < 10; i++) expect((await heartbeatJob(db.sql, "w1", job!, 15_000)).reason).toBe("throttled");
    expect(await xmin()).toBe(afterFirst);
  });

  it("measureHeartbeatCost counts one update per heartbeat and the WAL they wrote, and cleans up", async () => {
    const cost = await measureHeartbeatCost(db.sql, { runningJobs: 50, rounds: 4 });
    expect(cost.heartbeats).toBe(200);
    expect(cost.walBytes).toBeGreaterThan(0);
    expect(cost.walBytesPerHeartbeat).toBeCloseTo(cost.walBytes / 200);
    if (usingServer) {
      expect(cost.updates).toBe(200);
      // idx_qc_jobs_heartbeat indexes last_heartbeat_at, so PostgreSQL cannot make these updates HOT.
      expect(cost.hotUpdates).toBe(0);
    }
    console.log(`heartbeat cost (${usingServer ? "server" : "PGlite"}): ${JSON.stringify(cost)}`);
    expect(await db.sql`select count(*)::int as n from public.qc_jobs where job_type = '__heartbeat_cost_probe'`).toEqual([{ n: 0 }]);
  });

  it("refuses to measure when JOB_HEARTBEAT is off for the probe (nothing would be written)", async () => {
    await setSettledFlag(db.sql, "JOB_HEARTBEAT", false, 100);
    try {
      await expect(measureHeartbeatCost(db.sql, { runningJobs: 1, rounds: 1 })).rejects.toThrow(/JOB_HEARTBEAT is off/);
    } finally {
      await setSettledFlag(db.sql, "JOB_HEARTBEAT", true, 100);
    }
  });
});
