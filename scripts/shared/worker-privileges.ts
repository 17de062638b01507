// Whether service_role (the secret key's role, which workers use) may select, insert, update and
// delete public.qc_jobs. The kit's RPCs run with their caller's privileges and the kit never
// changes the grants of a qc_jobs it did not create, so a table made before Supabase's roles
// existed (plain PostgreSQL, bootstrap run later) leaves the RPCs failing with "permission
// denied for table qc_jobs". Read by `kit add` (a note) and `ops verify` (a check).
import type { Sql, TransactionSql } from "./database.ts";

export const WORKER_ROLE = "service_role";
export const WORKER_PRIVILEGES = ["select", "insert", "update", "delete"] as const;

/** What the worker role lacks on qc_jobs: null when the role does not exist, [] when it lacks nothing. */
export async function workerPrivilegesMissing(sql: Sql | TransactionSql, tableOid: number): Promise<string[] | null> {
  // One privilege per call: has_table_privilege with a list is true when ANY of them is held.
  const [row] = await sql<{ missing: string[] | null }[]>`
    select case when exists (select 1 from pg_catalog.pg_roles where rolname = ${WORKER_ROLE})
                then array(select p from unnest(${[...WORKER_PRIVILEGES]}::text[]) as p
                           where not pg_catalog.has_table_privilege(${WORKER_ROLE}, ${tableOid}::oid, p)) end as missing`;
  return row?.missing ?? null;
}

/** The statement that gives the worker role what it lacks. */
export const WORKER_GRANT = `grant ${WORKER_PRIVILEGES.join(", ")} on public.qc_jobs to ${WORKER_ROLE};`;
