// Row counts of every ordinary table, the proof a backup and a restore carried every row.
import type { Sql, TransactionSql } from "../shared/database.ts";

const SYSTEM_SCHEMAS = ["pg_catalog", "information_schema", "pg_toast"];

/** schema.table → rows for every ordinary table (partitions counted once, through themselves). */
export async function countRows(sql: Sql | TransactionSql, schemas: string[] | undefined, progress?: (note: string) => void): Promise<Record<string, number>> {
  const tables = await sql<{ schema: string; name: string }[]>`
    select n.nspname as schema, c.relname as name
    from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where c.relkind = 'r' and n.nspname <> all(${SYSTEM_SCHEMAS}) and n.nspname not like 'pg\\_temp%'
      and (${schemas ?? null}::text[] is null or n.nspname = any(${schemas ?? null}::text[]))
    order by 1, 2`;
  const counts: Record<string, number> = {};
  for (const table of tables) {
    const qualified = `${quoteIdent(table.schema)}.${quoteIdent(table.name)}`;
    const [row] = await sql.unsafe<{ n: string }[]>(`select count(*) as n from ${qualified}`);
    counts[`${table.schema}.${table.name}`] = Number(row!.n);
    progress?.(`${table.schema}.${table.name}: ${row!.n} rows`);
  }
  return counts;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Tables whose counts differ between two sets (missing tables included). */
export function countDifferences(expected: Record<string, number>, actual: Record<string, number>): string[] {
  return Object.entries(expected)
    .filter(([table, rows]) => actual[table] !== rows)
    .map(([table, rows]) => `${table}: ${rows} in the backup, ${actual[table] ?? "no table"} after the restore`);
}
