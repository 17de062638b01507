// The function's FlagDatabase while postgres.js is not yet loaded: the first flags read goes
// through firstRead (first-read.ts, no postgres.js), everything else through the postgres.js
// database, loaded on first need or by preload() (index.ts calls it after the first answer).
//
// When firstRead meets something it does not do (UnsupportedByWireReader), that same read is made
// with postgres.js; any other failure of it is the read's failure, reported as usual.

import type { FlagDefinition } from "../_shared/rollout.ts";
import type { FlagDatabase } from "./flag-database.ts";
import { UnsupportedByWireReader } from "./pg-wire.ts";

export interface DeferredFlagDatabase extends FlagDatabase {
  /** Starts loading the postgres.js database now; resolves when loaded, rejects when that failed. */
  preload(): Promise<void>;
}

export function deferredFlagDatabase(options: {
  firstRead: () => Promise<FlagDefinition[]>;
  load: () => Promise<FlagDatabase>;
}): DeferredFlagDatabase {
  let loading: Promise<FlagDatabase> | null = null;
  const loaded = (): Promise<FlagDatabase> =>
    (loading ??= options.load().catch((error) => {
      loading = null; // the next use tries again
      throw error;
    }));
  let firstReadDone = false;

  async function firstRead(): Promise<FlagDefinition[]> {
    try {
      return await options.firstRead();
    } catch (error) {
      if (error instanceof UnsupportedByWireReader) return (await loaded()).readFlags();
      throw error;
    }
  }

  return {
    readFlags() {
      if (firstReadDone) return loaded().then((database) => database.readFlags());
      firstReadDone = true;
      return firstRead();
    },
    async updateFlag(key, change, actor) {
      let database: FlagDatabase;
      try {
        database = await loaded();
      } catch (error) {
        // Nothing reached the database: the change provably did not happen.
        return { outcome: "not_applied", reason: `loading the database client failed: ${error instanceof Error ? error.message : String(error)}` };
      }
      return database.updateFlag(key, change, actor);
    },
    ping: () => loaded().then((database) => database.ping()),
    preload: () => loaded().then(() => {}),
  };
}
