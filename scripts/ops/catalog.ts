// Reads what preflight compares: the catalog entries under the kit's names in schema public.
import type { Sql } from "../shared/database.ts";
import type { ObjectShape, ObservedObject } from "./plan/expected-shapes.ts";

export async function observeObjects(sql: Sql, shapes: ObjectShape[]): Promise<Map<string, ObservedObject>> {
  const names = shapes.map((s) => s.name);
  const relations = await sql<{ name: string; relkind: string; indexdef: string | null; indisvalid: boolean | null }[]>`
    select c.relname as name, c.relkind::text as relkind,
           case when c.relkind in ('i', 'I') then pg_catalog.pg_get_indexdef(c.oid) end as indexdef,
           i.indisvalid
    from pg_catalog.pg_class c
    left join pg_catalog.pg_index i on i.indexrelid = c.oid
    where c.relnamespace = 'public'::regnamespace and c.relname = any(${names})`;
  const columns = await sql<{ table_name: string; column_name: string; type: string }[]>`
    select c.relname as table_name, a.attname as column_name, pg_catalog.format_type(a.atttypid, a.atttypmod) as type
    from pg_catalog.pg_class c
    join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
    where c.relnamespace = 'public'::regnamespace and c.relname = any(${names})`;
  const triggers = await sql<{ name: string; table_name: string; function_name: string }[]>`
    select t.tgname as name, c.relname as table_name, p.proname as function_name
    from pg_catalog.pg_trigger t
    join pg_catalog.pg_class c on c.oid = t.tgrelid
    join pg_catalog.pg_proc p on p.oid = t.tgfoid
    where not t.tgisinternal and c.relnamespace = 'public'::regnamespace and t.tgname = any(${names})`;
  const observed = new Map<string, ObservedObject>();
  for (const name of names) {
    const relation = relations.find((r) => r.name === name);
    observed.set(name, {
      name,
      relkind: relation?.relkind ?? null,
      indexdef: relation?.indexdef ?? null,
      indexValid: relation?.indisvalid ?? null,
      columns: Object.fromEntries(columns.filter((c) => c.table_name === name).map((c) => [c.column_name, c.type])),
      triggers: triggers.filter((t) => t.name === name).map((t) => ({ table: t.table_name, function: t.function_name })),
    });
  }
  return observed;
}

export async function heartbeatColumn(sql: Sql): Promise<{ type: string; notNull: boolean; hasDefault: boolean } | null> {
  const [row] = await sql<{ type: string; not_null: boolean; has_default: boolean }[]>`
    select pg_catalog.format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as not_null, a.atthasdef as has_default
    from pg_catalog.pg_attribute a
    where a.attrelid = pg_catalog.to_regclass('public.qc_jobs') and a.attname = 'last_heartbeat_at' and not a.attisdropped`;
  return row ? { type: row.type, notNull: row.not_null, hasDefault: row.has_default } : null;
}

/** Sessions that would make the migrations wait for locks: open transactions older than a bound. */
export async function longTransactions(sql: Sql, olderThanMs: number): Promise<Array<{ pid: number; state: string; age: string; query: string }>> {
  return sql<{ pid: number; state: string; age: string; query: string }[]>`
    select pid, coalesce(state, '') as state, (now() - xact_start)::text as age, left(coalesce(query, ''), 80) as query
    from pg_catalog.pg_stat_activity
    where xact_start is not null and pid <> pg_catalog.pg_backend_pid()
      and now() - xact_start > ${olderThanMs} * interval '1 millisecond'
    order by xact_start`;
}

/** Which of these public names exist, by kind (relations of any kind count for table/view/index). */
export async function existingNames(sql: Sql, names: Array<{ kind: string; name: string }>): Promise<Set<string>> {
  const relationNames = names.filter((n) => ["table", "view", "index"].includes(n.kind)).map((n) => n.name);
  const triggerNames = names.filter((n) => n.kind === "trigger").map((n) => n.name);
  const functionNames = names.filter((n) => n.kind === "function").map((n) => n.name);
  const rows = await sql<{ key: string }[]>`
    select 'relation ' || relname as key from pg_catalog.pg_class
    where relnamespace = 'public'::regnamespace and relname = any(${relationNames})
    union
    select 'trigger ' || t.tgname from pg_catalog.pg_trigger t join pg_catalog.pg_class c on c.oid = t.tgrelid
    where not t.tgisinternal and c.relnamespace = 'public'::regnamespace and t.tgname = any(${triggerNames})
    union
    select 'function ' || proname from pg_catalog.pg_proc
    where pronamespace = 'public'::regnamespace and proname = any(${functionNames})`;
  return new Set(rows.map((r) => r.key));
}
