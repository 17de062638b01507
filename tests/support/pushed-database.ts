// A database with every migration of this repository pushed by the real Supabase CLI: the fixture
// of every test that needs the kit's schema but is not about the push itself.
//
// The push is made once per `npm test` run (tests/support/global-setup.ts) and each test file gets
// a copy of that database: PGlite started from a dump of the pushed data directory, or on a server
// `create database ... template`. Without that template (the grant regime is not the default, or
// the file runs outside the integration project) the file pushes for itself.
import { afterAll, beforeAll, inject } from "vitest";
import type { GrantRegime } from "../../scripts/shared/platform-bootstrap.ts";
import { copyTestDatabase, pushNewDatabase, type DatabaseTemplate, type TestDatabase } from "./test-database.ts";

declare module "vitest" {
  export interface ProvidedContext {
    pushedTemplate: DatabaseTemplate | undefined;
  }
}

/** A new database with the kit's migrations pushed; dropped again if anything fails. */
export async function createPushedDatabase(options: { regime?: GrantRegime } = {}): Promise<TestDatabase> {
  const template = (options.regime ?? "explicit") === "explicit" ? inject("pushedTemplate") : undefined;
  if (template) return copyTestDatabase(template);
  return pushNewDatabase(options);
}

/**
 * A pushed database for this test file: made before its first test, dropped after its last. Call
 * it at the top of the file (or of a describe block); the returned object reads the database once
 * it exists. `enabled: false` makes none, for a file whose tests are all skipped in this mode.
 */
export function usePushedDatabase(options: { regime?: GrantRegime; enabled?: boolean } = {}): TestDatabase {
  let current: TestDatabase | undefined;
  beforeAll(async () => {
    if (options.enabled !== false) current = await createPushedDatabase({ regime: options.regime });
  });
  afterAll(async () => {
    await current?.drop();
    current = undefined;
  });
  const db = (): TestDatabase => {
    if (!current) throw new Error("usePushedDatabase: the database exists from beforeAll to afterAll; use it inside a hook or test");
    return current;
  };
  return {
    get url() {
      return db().url;
    },
    get sql() {
      return db().sql;
    },
    get kind() {
      return db().kind;
    },
    drop: () => db().drop(),
  };
}
