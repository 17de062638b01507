// deferred-database.ts: reads without postgres.js until it is loaded, postgres.js for everything
// else, and for reads too when the wire reader cannot make them; a real failure stays a failure.
import { describe, expect, it } from "vitest";
import type { FlagDefinition } from "../../../functions/_shared/rollout.ts";
import { deferredFlagDatabase } from "../../../functions/feature-flags/deferred-database.ts";
import type { FlagDatabase } from "../../../functions/feature-flags/flag-database.ts";
import { PostgresServerError, UnsupportedByWireReader } from "../../../functions/feature-flags/pg-wire.ts";

const wireFlags: FlagDefinition[] = [{ key: "FROM_WIRE", enabled: true, rolloutPercentage: 12.5, bucketGroup: "FROM_WIRE" }];
const postgresFlags: FlagDefinition[] = [{ key: "FROM_POSTGRES_JS", enabled: false, rolloutPercentage: 0, bucketGroup: "g" }];

function setup(wireRead: () => Promise<FlagDefinition[]>, load?: () => Promise<FlagDatabase>) {
  const calls = { wireRead: 0, load: 0, reads: 0, pings: 0 };
  const postgresDatabase: FlagDatabase = {
    readFlags: async () => (calls.reads++, postgresFlags),
    updateFlag: async () => ({ outcome: "not_found" }),
    ping: async () => void calls.pings++,
  };
  const database = deferredFlagDatabase({
    wireRead: () => (calls.wireRead++, wireRead()),
    load: load ?? (async () => (calls.load++, postgresDatabase)),
  });
  return { database, calls };
}

describe("deferredFlagDatabase", () => {
  it("reads go over the wire, without loading postgres.js, until it is loaded; then every read uses it", async () => {
    const { database, calls } = setup(async () => wireFlags);
    expect(await database.readFlags()).toEqual(wireFlags);
    expect(await database.readFlags()).toEqual(wireFlags);
    expect(calls).toEqual({ wireRead: 2, load: 0, reads: 0, pings: 0 });
    await database.preload();
    expect(await database.readFlags()).toEqual(postgresFlags);
    expect(await database.readFlags()).toEqual(postgresFlags);
    expect(calls).toEqual({ wireRead: 2, load: 1, reads: 2, pings: 0 });
  });

  it("a read while postgres.js is still loading does not wait for it", async () => {
    let finishLoad!: (database: FlagDatabase) => void;
    const postgresDatabase: FlagDatabase = { readFlags: async () => postgresFlags, updateFlag: async () => ({ outcome: "not_found" }), ping: async () => {} };
    const { database } = setup(async () => wireFlags, () => new Promise((resolve) => (finishLoad = resolve)));
    expect(await database.readFlags()).toEqual(wireFlags);
    const preloading = database.preload();
    expect(await database.readFlags()).toEqual(wireFlags);
    finishLoad(postgresDatabase);
    await preloading;
    expect(await database.readFlags()).toEqual(postgresFlags);
  });

  it("what the wire reader does not support is read with postgres.js, in the same read", async () => {
    const { database, calls } = setup(async () => {
      throw new UnsupportedByWireReader("sslmode=require");
    });
    expect(await database.readFlags()).toEqual(postgresFlags);
    expect(calls).toMatchObject({ wireRead: 1, load: 1, reads: 1 });
    // The wire reader is not tried again for this database.
    expect(await database.readFlags()).toEqual(postgresFlags);
    expect(calls).toMatchObject({ wireRead: 1, load: 1, reads: 2 });
  });

  it("a real failure of a read (wrong password) is that read's failure: postgres.js is not tried", async () => {
    const wrongPassword = new PostgresServerError('password authentication failed for user "postgres"', "28P01", "FATAL");
    const { database, calls } = setup(async () => {
      throw wrongPassword;
    });
    await expect(database.readFlags()).rejects.toBe(wrongPassword);
    expect(calls).toMatchObject({ wireRead: 1, load: 0, reads: 0 });
  });

  it("writes, pings and preload() use postgres.js; a failed load is tried again and a write it blocked is not applied", async () => {
    let failLoad = true;
    const { database, calls } = setup(async () => wireFlags, async () => {
      if (failLoad) throw new Error("cannot import postgres");
      return { readFlags: async () => postgresFlags, updateFlag: async () => ({ outcome: "not_found" }), ping: async () => {} };
    });
    await expect(database.preload()).rejects.toThrow("cannot import postgres");
    expect(await database.updateFlag("X", { enabled: true }, "me")).toEqual({ outcome: "not_applied", reason: "loading the database client failed: cannot import postgres" });
    await expect(database.ping()).rejects.toThrow("cannot import postgres");
    failLoad = false;
    await database.preload();
    expect(await database.updateFlag("X", { enabled: true }, "me")).toEqual({ outcome: "not_found" });
    await expect(database.ping()).resolves.toBeUndefined();
    expect(calls.wireRead).toBe(0);
  });
});
