// A schema dump built from the catalog, so that it works on any server the CLI can push to
// (pg_dump refuses a server newer than itself, and PGlite is Postgres 18). One line per object:
// tables, columns, constraints, indexes, triggers, functions, policies, grants and comments.
import type { Sql } from "../../scripts/shared/database.ts";

const SNAPSHOT_QUERY = `
with rels as (
  select c.oid, c.relname, c.relkind, c.relrowsecurity, c.reloptions, c.relacl
  from pg_catalog.pg_class c
  where c.relnamespace = $1::regnamespace and c.relkind in ('r', 'p', 'v', 'm')
)
select line from (
  select format('table %s kind=%s rls=%s options=%s acl=%s', relname, relkind, relrowsecurity, reloptions, relacl) as line from rels
  union all
  select format('column %s.%s %s notnull=%s default=%s identity=%s acl=%s', r.relname, a.attname,
                pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,
                pg_catalog.pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attacl)
  from rels r join pg_catalog.pg_attribute a on a.attrelid = r.oid and a.attnum > 0 and not a.attisdropped
  left join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
  union all
  select format('constraint %s.%s %s', r.relname, con.conname, pg_catalog.pg_get_constraintdef(con.oid))
  from rels r join pg_catalog.pg_constraint con on con.conrelid = r.oid
  where con.contype <> 'n'
  union all
  select format('index %s valid=%s', pg_catalog.pg_get_indexdef(i.indexrelid), i.indisvalid)
  from rels r join pg_catalog.pg_index i on i.indrelid = r.oid
  union all
  select format('trigger %s', pg_catalog.pg_get_triggerdef(t.oid))
  from rels r join pg_catalog.pg_trigger t on t.tgrelid = r.oid and not t.tgisinternal
  union all
  select format('function %s(%s) returns %s definer=%s config=%s acl=%s body_md5=%s', p.proname,
                pg_catalog.pg_get_function_identity_arguments(p.oid), pg_catalog.pg_get_function_result(p.oid),
                p.prosecdef, p.proconfig, p.proacl, md5(p.prosrc))
  from pg_catalog.pg_proc p where p.pronamespace = $1::regnamespace
  union all
  select format('policy %s.%s %s to %s using %s check %s', tablename, policyname, cmd, roles, qual, with_check)
  from pg_catalog.pg_policies where schemaname = $2
  union all
  select format('comment %s', pg_catalog.obj_description(r.oid, 'pg_class')) from rels r
  where pg_catalog.obj_description(r.oid, 'pg_class') is not null
) lines
order by line
`;

export async function schemaSnapshot(sql: Sql, schema = "public"): Promise<string[]> {
  const rows = await sql.unsafe<{ line: string }[]>(SNAPSHOT_QUERY, [schema, schema]);
  return rows.map((row) => row.line);
}
