// The platform bootstrap gives plain Postgres and PGlite Supabase's API roles and auth helpers,
// with Supabase's semantics, idempotently, and changes nothing on a Supabase database.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootstrapPlatform } from "../../../scripts/shared/platform-bootstrap.ts";
import { createTestDatabase, usingServer, type TestDatabase } from "../../support/test-database.ts";
import { asRole } from "../../support/as-role.ts";

describe("platform bootstrap", () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("creates the API roles with Supabase's attributes", async () => {
    const roles = await db.sql`
      select rolname, rolcanlogin, rolinherit, rolbypassrls from pg_roles
      where rolname in ('anon', 'authenticated', 'service_role', 'authenticator') order by rolname`;
    expect(roles).toEqual([
      { rolname: "anon", rolcanlogin: false, rolinherit: false, rolbypassrls: false },
      { rolname: "authenticated", rolcanlogin: false, rolinherit: false, rolbypassrls: false },
      { rolname: "authenticator", rolcanlogin: true, rolinherit: false, rolbypassrls: false },
      { rolname: "service_role", rolcanlogin: false, rolinherit: false, rolbypassrls: true },
    ]);
    const [membership] = await db.sql`
      select pg_has_role('authenticator', 'anon', 'member') and pg_has_role('authenticator', 'authenticated', 'member')
         and pg_has_role('authenticator', 'service_role', 'member') as switches`;
    expect(membership!.switches).toBe(true);
  });

  it("auth.uid(), auth.role() and auth.jwt() read request.jwt.claims as PostgREST sets them", async () => {
    const claims = { sub: "0b6f3c1e-8a2d-4f5e-9c7b-1a2b3c4d5e6f", app_metadata: { role: "admin" } };
    const seen = await asRole(db.sql, "authenticated", claims, async (tx) => {
      const [row] = await tx`select auth.uid()::text as uid, auth.role() as role, auth.jwt() -> 'app_metadata' ->> 'role' as claim`;
      return row;
    });
    expect(seen).toEqual({ uid: claims.sub, role: "authenticated", claim: "admin" });
    const [anonymous] = await db.sql`select auth.uid() as uid, auth.jwt() as jwt`;
    expect(anonymous).toEqual({ uid: null, jwt: null });
  });

  it("running it again, in either regime, is harmless", async () => {
    await bootstrapPlatform(db.sql, "legacy");
    await bootstrapPlatform(db.sql, "legacy");
    await bootstrapPlatform(db.sql, "explicit");
    const [functions] = await db.sql`select count(*)::int as n from pg_proc where pronamespace = 'auth'::regnamespace`;
    expect(functions!.n).toBe(3);
  });

  it("refuses an unknown grant regime", async () => {
    await expect(bootstrapPlatform(db.sql, "permissive" as never)).rejects.toThrow(/must be legacy or explicit/);
  });
});

// Roles are cluster-wide: creating supabase_admin on a shared server would turn every other test
// database's bootstrap into a no-op, so this runs on the embedded database only.
describe.skipIf(usingServer)("on a Supabase database", () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase({ bootstrap: false });
    await db.sql`create role supabase_admin`;
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("changes nothing", async () => {
    await bootstrapPlatform(db.sql, "legacy");
    const [state] = await db.sql`
      select to_regnamespace('auth') as auth_schema,
             (select count(*)::int from pg_roles where rolname in ('anon', 'authenticated', 'service_role', 'authenticator')) as api_roles,
             (select count(*)::int from pg_default_acl) as default_acls`;
    expect(state).toEqual({ auth_schema: null, api_roles: 0, default_acls: 0 });
  });
});
