// The function's FlagDatabase while postgres.js is not yet loaded: flag reads go through wireRead
// (first-read.ts, no postgres.js) until postgres.js is loaded, everything else through the
// postgres.js database, loaded on first need or by preload() (index.ts calls it after the first
// answer). Reads keep to the wire reader until then because importing postgres.js takes tens of
// milliseconds: a refresh that waited for it would outlast the wait a request gives a due read,
// and that request would be served the flags read at start however old they are (an instance
// started ahead of its first request, or whose first answer is still being written).
//
// When wireRead meets something it does not do (UnsupportedByWireReader), that same read is made
// with postgres.js, and so is every later one; any other failure of it is the read's failure,
// reported as usual.

import type { FlagDefinition } from "../_shared/rollout.ts";
import type { FlagDatabase } from "./flag-database.ts";
import { UnsupportedByWireReader } from "./pg-wire.ts";

export interface DeferredFlagDatabase extends FlagDatabase {
  /** Starts loading the postgres.js database now; resolves when loaded, rejects when that failed. */
  preload(): Promise<void>;
}

export function deferredFlagDatabase(options: {
  wireRead: () => Promise<FlagDefinition[]>;
  load: () => Promise<FlagDatabase>;
}): DeferredFlagDatabase {
  /** Set once postgres.js is loaded: every read goes through it from then on. */
  let database: FlagDatabase | null = null;
  let loading: Promise<FlagDatabase> | null = null;
  const loaded = (): Promise<FlagDatabase> =>
    (loading ??= options.load().then(
      (ready) => (database = ready),
      (error) => {
        loading = null; // the next use tries again
        throw error;
      },
    ));
  let wireReaderFits = true;

  async function wireRead(): Promise<FlagDefinition[]> {
    try {
      return await options.wireRead();
    } catch (error) {
      if (!(error instanceof UnsupportedByWireReader)) throw error;
      wireReaderFits = false;
      return (await loaded()).readFlags();
    }
  }

  return {
    readFlags() {
      if (database !== null) return database.readFlags();
      return wireReaderFits ? wireRead() : loaded().then((ready) => ready.readFlags());
    },
    async updateFlag(key, change, actor) {
      let ready: FlagDatabase;
      try {
        ready = await loaded();
      } catch (error) {
        // Nothing reached the database: the change provably did not happen.
        return { outcome: "not_applied", reason: `loading the database client failed: ${error instanceof Error ? error.message : String(error)}` };
      }
      return ready.updateFlag(key, change, actor);
    },
    ping: () => loaded().then((ready) => ready.ping()),
    preload: () => loaded().then(() => {}),
  };
}
