// Reads public.qc_jobs from a live database's catalog (columns, types, identity, defaults, the
// status column's enum labels or CHECK words), and the latest migration version it has applied.
// Only catalog reads: no row of qc_jobs is read.
import type { Sql } from "../shared/database.ts";
import type { ObservedTable } from "./infer-shape.ts";
import { workerPrivilegesMissing } from "../shared/worker-privileges.ts";

/** null when the database has no public.qc_jobs. */
export async function readQcJobs(sql: Sql): Promise<ObservedTable | null> {
  const [table] = await sql<{ oid: number | null }[]>`select pg_catalog.to_regclass('public.qc_jobs')::oid as oid`;
  if (!table?.oid) return null;
  const columns = await sql<{ name: string; type: string; enum_labels: string[] | null; not_null: boolean; default_expr: string | null; identity: string }[]>`
    select a.attname as name,
           pg_catalog.format_type(a.atttypid, a.atttypmod) as type,
           (select array_agg(e.enumlabel::text order by e.enumsortorder) from pg_catalog.pg_enum e where e.enumtypid = a.atttypid) as enum_labels,
           a.attnotnull as not_null,
           pg_catalog.pg_get_expr(d.adbin, d.adrelid) as default_expr,
           a.attidentity::text as identity
    from pg_catalog.pg_attribute a
    left join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    where a.attrelid = ${table.oid} and a.attnum > 0 and not a.attisdropped
    order by a.attnum`;
  const [unique] = await sql<{ id_is_unique: boolean }[]>`
    select exists (
      select 1 from pg_catalog.pg_index i
      join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
      where i.indrelid = ${table.oid} and i.indisunique and i.indnkeyatts = 1 and i.indpred is null and a.attname = 'id'
    ) as id_is_unique`;
  const checks = await sql<{ definition: string }[]>`
    select pg_catalog.pg_get_constraintdef(c.oid) as definition
    from pg_catalog.pg_constraint c
    join pg_catalog.pg_attribute a on a.attrelid = c.conrelid and a.attnum = any (c.conkey)
    where c.conrelid = ${table.oid} and c.contype = 'c' and a.attname = 'status'`;
  const [claimIndex] = await sql<{ present: boolean }[]>`
    select exists (
      select 1 from pg_catalog.pg_index i
      join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
      where i.indrelid = ${table.oid} and a.attname = 'status'
    ) as present`;
  return {
    statusIndexed: claimIndex?.present ?? false,
    serviceRoleMissing: await workerPrivilegesMissing(sql, table.oid),
    columns: columns.map((c) => ({ name: c.name, type: c.type, enumLabels: c.enum_labels, notNull: c.not_null, defaultExpr: c.default_expr, identity: c.identity })),
    idIsUnique: unique?.id_is_unique ?? false,
    statusCheckWords: checks.length === 0 ? null : checks.flatMap((c) => quotedWords(c.definition)),
  };
}

/** The quoted literals of a constraint definition: CHECK ((status = ANY (ARRAY['queued'::text, ...]))). */
export function quotedWords(definition: string): string[] {
  return [...definition.matchAll(/'((?:[^']|'')*)'/g)].map((m) => m[1]!.replaceAll("''", "'"));
}

/** The newest version in the database's migration history (null without one). */
export async function latestAppliedVersion(sql: Sql): Promise<string | null> {
  const [history] = await sql<{ present: boolean }[]>`select pg_catalog.to_regclass('supabase_migrations.schema_migrations') is not null as present`;
  if (!history?.present) return null;
  const [row] = await sql<{ version: string | null }[]>`select max(version) as version from supabase_migrations.schema_migrations`;
  return row?.version ?? null;
}
