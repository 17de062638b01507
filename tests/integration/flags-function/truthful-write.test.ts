// A PATCH whose database session stalls (a network partition: bytes held by a proxy, nothing
// closed) answers the truth: the row afterwards always matches what the answer said, whenever the
// session stalls and whenever it comes back.
//   - stalled before COMMIT: 503 "not changed", and the held transaction rolls back on resume;
//   - stalled with COMMIT on its way to the server: settled on a new connection (the stalled
//     backend is terminated), 503 "not changed", and the COMMIT delivered later changes nothing;
//   - stalled with the COMMIT's answer on its way back: settled as committed, 200.
// The last two need a second session to ask the server, so they run on a server only (PGlite is
// one session shared by every connection).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { generateLocalKeys, inProcessFunction } from "../../support/feature-flags-fixture.ts";
import { startTcpProxy, type TcpProxy } from "../../support/tcp-proxy.ts";
import { usingServer } from "../../support/test-database.ts";
import { setFlag } from "../../support/flags.ts";
import { usePushedDatabase } from "../../support/pushed-database.ts";

const keys = generateLocalKeys();
const BASE = "http://127.0.0.1:54321/feature-flags";
const TIMEOUT_MS = 300; // the PATCH gives up after 4 x this
const db = usePushedDatabase();
let proxy: TcpProxy;
let fn: ReturnType<typeof inProcessFunction>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  proxy = await startTcpProxy(db.url);
  fn = inProcessFunction(proxy.url, keys, { FEATURE_FLAGS_CACHE_TTL_MS: "0", FEATURE_FLAGS_DB_TIMEOUT_MS: String(TIMEOUT_MS) });
});
beforeEach(async () => {
  await setFlag(db.sql, "DLQ_ENABLED", true, 100);
});
afterEach(() => proxy.resume());
afterAll(async () => {
  await fn?.close();
  await proxy?.close();
});

async function patch(body: unknown) {
  const response = await fn.handle(new Request(`${BASE}/DLQ_ENABLED`, {
    method: "PATCH",
    headers: { apikey: keys.secretKey, "content-type": "application/json" },
    body: JSON.stringify(body),
  }));
  return { status: response.status, json: await response.json() };
}

async function row() {
  const [flag] = await db.sql`select enabled, rollout_percentage::float8 as pct from public.feature_flags where key = 'DLQ_ENABLED'`;
  return flag as { enabled: boolean; pct: number };
}

/** Lets a resumed session deliver what it held, and the server act on it. */
async function afterResume() {
  proxy.resume();
  await sleep(TIMEOUT_MS * 3);
}

/** The function's connection is open before the stall, as it is in a warm isolate. */
async function warmUp() {
  // A connection that died in an earlier test may fail one more call before it is replaced.
  let status = 0;
  for (let attempt = 0; attempt < 3 && status !== 200; attempt++) status = (await patch({ rollout_percentage: 100 })).status;
  expect(status).toBe(200);
}

describe("PATCH with its database session stalled", () => {
  it("stalled before it began: 503 not changed, and the late session changes nothing", async () => {
    await warmUp();
    proxy.stall();
    const answer = await patch({ rollout_percentage: 37.5 });
    expect(answer.status).toBe(503);
    expect(answer.json.error.code).toBe("database_unavailable");
    expect(answer.json.error.message).toMatch(/not changed.*abandoned before COMMIT/);
    await afterResume();
    expect(await row()).toEqual({ enabled: true, pct: 100 });
    // The connection works again for the next change.
    expect((await patch({ rollout_percentage: 10 })).status).toBe(200);
    expect(await row()).toEqual({ enabled: true, pct: 10 });
  });

  it.skipIf(!usingServer)("stalled with COMMIT held: settled as not applied, and the late COMMIT changes nothing", async () => {
    await warmUp();
    proxy.stall({ direction: "to_server", when: /commit/i });
    const answer = await patch({ rollout_percentage: 37.5 });
    // The server ends the session itself (idle_in_transaction_session_timeout set by the write),
    // so the held COMMIT fails and the outcome is settled on a new connection.
    expect(answer.status).toBe(503);
    expect(answer.json.error.code).toBe("database_unavailable");
    expect(answer.json.error.message).toMatch(/rolled transaction \d+ back/);
    await afterResume();
    expect(await row()).toEqual({ enabled: true, pct: 100 });
  });

  it.skipIf(!usingServer)("stalled with the COMMIT's answer on its way back: settled as committed, 200", async () => {
    await warmUp();
    proxy.stall({ direction: "to_client", when: /COMMIT\0/ });
    const answer = await patch({ rollout_percentage: 37.5 });
    expect(proxy.stalled()).toBe(true);
    expect(answer.status).toBe(200);
    expect(answer.json.flag).toMatchObject({ key: "DLQ_ENABLED", rolloutPercentage: 37.5 });
    expect(await row()).toEqual({ enabled: true, pct: 37.5 });
    await afterResume();
    expect(await row()).toEqual({ enabled: true, pct: 37.5 });
  });
});
