// An ops write whose database session stalls (a network partition: bytes held by a proxy, nothing
// closed) tells the operator the truth within its deadline (OPS_WRITE_TIMEOUT), and the flag
// afterwards always matches what it said, whenever the session stalls and whenever it comes back:
//   - stalled before the transaction began: FAILED, abandoned before COMMIT; nothing changes;
//   - stalled with COMMIT on its way to the server: settled on a new connection as rolled back,
//     FAILED; the COMMIT delivered later changes nothing;
//   - stalled with the COMMIT's answer on its way back: settled as committed, exit 0;
//   - the same, with the new connection that would settle it stalled too: OUTCOME UNKNOWN, with
//     the flags read back on yet another connection, within the deadline and the settle time.
// The last three need a second session to ask the server, so they run on a server only (PGlite is
// one session shared by every connection).
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTcpProxy, type TcpProxy } from "../../support/tcp-proxy.ts";
import { usingServer, type TestDatabase } from "../../support/test-database.ts";
import { ops } from "../../support/ops-runner.ts";
import { createPushedDatabase } from "../../support/pushed-database.ts";

let db: TestDatabase;
let proxy: TcpProxy;

beforeAll(async () => {
  db = await createPushedDatabase();
  proxy = await startTcpProxy(db.url);
});
beforeEach(async () => {
  await db.sql`update public.feature_flags set enabled = true, rollout_percentage = 100 where key = 'DLQ_ENABLED'`;
});
afterEach(() => proxy.resume());
afterAll(async () => {
  await proxy?.close();
  await db?.drop();
});

async function row() {
  const [flag] = await db.sql`select enabled, rollout_percentage::float8 as pct from public.feature_flags where key = 'DLQ_ENABLED'`;
  return flag as { enabled: boolean; pct: number };
}

/** `ops flags set DLQ_ENABLED --percentage 37.5` through the proxy, with a 1 s write deadline. */
async function setThroughProxy() {
  const started = Date.now();
  const run = await ops(proxy.url, ["flags", "set", "DLQ_ENABLED", "--percentage", "37.5"], { env: { OPS_WRITE_TIMEOUT: "1s" } });
  return { ...run, ms: Date.now() - started };
}

/** Lets a resumed session deliver what it held, and the server act on it. */
async function afterResume() {
  proxy.resume();
  await sleep(1_000);
}

describe("ops flags set with its database session stalled", () => {
  it("stalled before the transaction began: FAILED within the deadline, nothing changes", async () => {
    proxy.stall({ direction: "to_server", when: /begin/i, newConnections: true });
    const run = await setThroughProxy();
    expect(proxy.stalled()).toBe(true);
    expect(run.code, run.output).toBe(1);
    expect(run.output).toContain("FAILED: no answer from the database within 1000 ms; the transaction was abandoned before COMMIT and rolls back");
    // The deadline, then at most the few seconds the client gives its connection to close.
    expect(run.ms).toBeLessThan(10_000);
    expect(await row()).toEqual({ enabled: true, pct: 100 });
    await afterResume();
    expect(await row()).toEqual({ enabled: true, pct: 100 });
  });

  it.skipIf(!usingServer)("stalled with COMMIT held: settled as rolled back, FAILED, and the late COMMIT changes nothing", async () => {
    proxy.stall({ direction: "to_server", when: /commit/i, newConnections: true });
    const run = await setThroughProxy();
    // (The stalled session is gone by now: the server ended it, so the proxy holds nothing.)
    expect(run.code, run.output).toBe(1);
    expect(run.output).toMatch(/FAILED: no answer to COMMIT within the deadline; the server rolled transaction \d+ back/);
    expect(await row()).toEqual({ enabled: true, pct: 100 });
    await afterResume();
    expect(await row()).toEqual({ enabled: true, pct: 100 });
  });

  it.skipIf(!usingServer)("stalled with the COMMIT's answer on its way back: settled as committed, exit 0", async () => {
    proxy.stall({ direction: "to_client", when: /COMMIT\0/, newConnections: true });
    const run = await setThroughProxy();
    expect(proxy.stalled()).toBe(true);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("DLQ_ENABLED is now on for 37.5 % (audited as test-operator).");
    expect(await row()).toEqual({ enabled: true, pct: 37.5 });
    await afterResume();
    expect(await row()).toEqual({ enabled: true, pct: 37.5 });
  });

  it.skipIf(!usingServer)("the COMMIT's answer held and the settling connection stalled too: OUTCOME UNKNOWN, flags read back", async () => {
    proxy.stall({ direction: "to_client", when: /COMMIT\0/, newConnections: true });
    proxy.stall({ direction: "to_server", when: /txid_status/, newConnections: true });
    const run = await setThroughProxy();
    expect(run.code, run.output).toBe(1);
    expect(run.output).toMatch(/OUTCOME UNKNOWN: no answer to COMMIT within the deadline; whether transaction \d+ committed could not be settled \(the fresh connection failed: no answer on a new connection within \d+ ms\); read back on a new connection: DLQ_ENABLED on for 37\.5 %, JOB_HEARTBEAT /);
    expect(run.ms).toBeLessThan(15_000);
    expect(await row()).toEqual({ enabled: true, pct: 37.5 });
  });
});
