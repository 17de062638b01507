// The flag cache (functions/feature-flags/flag-cache.ts) with a counting loader and a fake clock:
// one read per TTL however many requests, stale-if-error bounded by the stale limit.
import { describe, expect, it } from "vitest";
import { FlagCache } from "../../../functions/feature-flags/flag-cache.ts";
import type { FlagDefinition } from "../../../functions/_shared/rollout.ts";

const FLAGS: FlagDefinition[] = [{ key: "DLQ_ENABLED", enabled: true, rolloutPercentage: 5, bucketGroup: "DLQ_ENABLED" }];

function harness() {
  let now = 1_000_000;
  let failWith: string | null = null;
  const store = new FlagCache({
    ttlMs: 5_000,
    staleLimitMs: 60_000,
    now: () => now,
    load: async () => {
      // A read takes a moment, so concurrent requests really overlap it.
      await new Promise<void>((resolve) => setTimeout(resolve, 5));
      if (failWith) throw new Error(failWith);
      return FLAGS;
    },
  });
  return {
    store,
    advance: (ms: number) => (now += ms),
    fail: (message: string | null) => (failWith = message),
  };
}

describe("FlagCache", () => {
  it("answers 200 concurrent requests with one database read", async () => {
    const { store } = harness();
    const snapshots = await Promise.all(Array.from({ length: 200 }, () => store.snapshot()));
    expect(store.reads).toBe(1);
    expect(snapshots.every((s) => s.state === "fresh" && s.flags?.get("DLQ_ENABLED")?.rolloutPercentage === 5)).toBe(true);
  });

  it("reads again only once the TTL has passed", async () => {
    const { store, advance } = harness();
    await store.snapshot();
    advance(4_999);
    await store.snapshot();
    expect(store.reads).toBe(1);
    advance(1);
    await Promise.all([store.snapshot(), store.snapshot(), store.snapshot()]);
    expect(store.reads).toBe(2);
  });

  it("serves the last good flags, marked stale, while the database fails, and retries once per TTL", async () => {
    const { store, advance, fail } = harness();
    await store.snapshot();
    fail("connect ECONNREFUSED 127.0.0.1:5432");
    advance(5_000);
    // A quick read (5 ms here) is waited for; a failed one marks the flags stale.
    const stale = await store.snapshot();
    expect(stale).toMatchObject({ state: "stale", lastError: "connect ECONNREFUSED 127.0.0.1:5432", ageMs: 5_000 });
    expect(stale.flags?.get("DLQ_ENABLED")?.enabled).toBe(true);
    await Promise.all(Array.from({ length: 50 }, () => store.snapshot()));
    expect(store.reads).toBe(2);
    fail(null);
    advance(5_000);
    expect((await store.snapshot()).state).toBe("fresh");
  });

  it("a read that hangs delays a lookup by refreshWaitMs at most while there are flags to serve", async () => {
    let hang = false;
    let now = 0;
    const store = new FlagCache({
      ttlMs: 100,
      staleLimitMs: 60_000,
      refreshWaitMs: 20,
      now: () => now,
      load: () => (hang ? new Promise<FlagDefinition[]>(() => {}) : Promise.resolve(FLAGS)),
    });
    await store.snapshot();
    hang = true;
    now += 100;
    const timeout = new Promise<"waited">((resolve) => setTimeout(() => resolve("waited"), 200));
    const answer = await Promise.race([store.snapshot(), timeout]);
    expect(answer).toMatchObject({ flags: new Map([["DLQ_ENABLED", FLAGS[0]]]) });
    expect(store.reads).toBe(2);
  });

  it("stops serving stale flags after the stale limit, keeping their keys", async () => {
    const { store, advance, fail } = harness();
    await store.snapshot();
    fail("database is gone");
    advance(60_001);
    const snapshot = await store.snapshot();
    expect(snapshot).toMatchObject({ state: "unavailable", flags: null, lastKnownKeys: ["DLQ_ENABLED"], lastError: "database is gone" });
  });

  it("has nothing to serve when the first read fails", async () => {
    const { store, fail } = harness();
    fail("no route to host");
    expect(await store.snapshot()).toMatchObject({ state: "unavailable", flags: null, fetchedAt: null, lastKnownKeys: [] });
  });

  it("invalidate() makes the next request read the table", async () => {
    const { store } = harness();
    await store.snapshot();
    store.invalidate();
    await store.snapshot();
    expect(store.reads).toBe(2);
  });
});
