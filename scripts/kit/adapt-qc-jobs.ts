// The migration (with its rollback and verify scripts) that fits the kit to a project's own
// qc_jobs: it adds the columns the kit's RPCs need and the table lacks, nothing else. Written in
// place of the kit's baseline where qc_jobs already exists. Pure: shape in, SQL text out.
import { sqlLiteral, type JobShape } from "./job-shape.ts";
import { KIT_COLUMNS, type Adaptation } from "./infer-shape.ts";

export const ADAPT_SLUG = "adapt_qc_jobs";

export const NO_ADAPTATION: Adaptation = { addColumns: [], addClaimIndex: false };

export const CLAIM_INDEX = "qc_jobs_status_run_after_idx";

export interface AdaptScripts {
  migration: string;
  rollback: string;
  verify: string;
}

function describeShape(shape: JobShape): string {
  const words = Object.entries(shape.status)
    .map(([role, word]) => `${role} = ${word === null ? "(none)" : sqlLiteral(word)}`)
    .join(", ");
  const tenant = shape.tenantColumn === null ? "none (flags bucket a job by its id)" : shape.tenantColumn;
  return [
    `--   id:     ${shape.jobIdType}${shape.jobIdDefault === "identity_always" ? " (generated always as identity)" : shape.jobIdDefault === "none" ? " (no default: the app gives ids)" : ""}`,
    `--   status: ${words}`,
    `--   tenant: ${tenant}`,
  ].join("\n");
}

/** The DO block that stops the push when qc_jobs no longer has the shape the kit was rendered for. */
function shapeCheck(shape: JobShape): string {
  return `do $shape$
begin
  if pg_catalog.to_regclass('public.qc_jobs') is null then
    raise exception 'public.qc_jobs does not exist: the reliability kit was added for an existing qc_jobs'
      using hint = 'Push the migration that creates qc_jobs first.';
  end if;
  if (select pg_catalog.format_type(a.atttypid, a.atttypmod) from pg_catalog.pg_attribute a
      where a.attrelid = 'public.qc_jobs'::regclass and a.attname = 'id' and not a.attisdropped) is distinct from ${sqlLiteral(shape.jobIdType)} then
    raise exception 'public.qc_jobs.id is not ${shape.jobIdType}, the type the kit''s migrations were written for'
      using hint = 'Run npm run kit -- add again against a database with the current qc_jobs.';
  end if;
  if not exists (select 1 from pg_catalog.pg_attribute a
                 where a.attrelid = 'public.qc_jobs'::regclass and a.attname = 'status' and not a.attisdropped) then
    raise exception 'public.qc_jobs has no status column';
  end if;
end
$shape$;`;
}

const CLAIM_INDEX_SQL = `
-- claim_jobs picks the oldest runnable job of the pending status; no index of qc_jobs leads with
-- status, so without this one every claim scans the table. Built CONCURRENTLY: the Supabase CLI
-- runs the statement on its own, outside the file's transaction, and the app's writers keep going.
-- An INVALID index left by an interrupted build is dropped first so that it is rebuilt, not
-- skipped by IF NOT EXISTS.
do $drop_invalid$
begin
  if exists (select 1 from pg_catalog.pg_index i
             where i.indexrelid = pg_catalog.to_regclass('public.${CLAIM_INDEX}') and not i.indisvalid) then
    raise notice 'dropping invalid index public.${CLAIM_INDEX} left by an interrupted build';
    drop index public.${CLAIM_INDEX};
  end if;
end
$drop_invalid$;

create index concurrently if not exists ${CLAIM_INDEX} on public.qc_jobs (status, run_after);
`;

export function adaptQcJobs(shape: JobShape, adaptation: Adaptation, fileName: string): AdaptScripts {
  const { addColumns } = adaptation;
  const adds = addColumns.length === 0
    ? "-- qc_jobs already has every column the kit uses: nothing to add."
    : addColumns.map((c) => `alter table public.qc_jobs add column if not exists ${c.name} ${c.definition};`).join("\n");
  const migration = `-- Fits the reliability kit to this project's own qc_jobs (written by \`npm run kit -- add\`).
--
-- The kit's SQL in the migrations after this one was rendered for qc_jobs as it was found:
${describeShape(shape)}
-- This migration first checks that qc_jobs still has that shape, then adds the columns the kit's
-- worker RPCs, watchdog and DLQ operations use and the table lacks. Each is nullable or has a
-- non-volatile default, so adding it only changes the catalog: no table rewrite, no row touched.
-- lock_timeout bounds the wait for the brief ACCESS EXCLUSIVE lock each add takes, so a long
-- query holding qc_jobs makes the push fail fast instead of queueing the app's writers behind it.
-- Nothing else of qc_jobs changes: not its existing columns, rows, RLS, policies or grants.
-- Rollback: supabase/rollback/${fileName}

set lock_timeout = '5s';

${shapeCheck(shape)}

${adds}
${adaptation.addClaimIndex ? CLAIM_INDEX_SQL : ""}`;
  const drops = [
    ...(adaptation.addClaimIndex ? [`drop index if exists public.${CLAIM_INDEX};`] : []),
    ...[...addColumns].reverse().map((c) => `alter table if exists public.qc_jobs drop column if exists ${c.name};`),
  ].join("\n") || "-- The migration added nothing: nothing to drop.";
  const rollback = `-- Roll back ${fileName.replace(/\.sql$/, "")}: drop the columns it added to qc_jobs (catalog only).
-- Roll back the kit's later migrations first: their functions use these columns. The values
-- in them (attempts, lock owners, errors) are lost; the app's own columns are untouched.
set lock_timeout = '5s';

${drops}
`;
  const required = ["id", "status", ...KIT_COLUMNS.map((c) => c.name)];
  const indexCheck = adaptation.addClaimIndex ? `
-- check: ${CLAIM_INDEX} exists and is valid
do $$ begin
  if not exists (select 1 from pg_catalog.pg_index i where i.indexrelid = pg_catalog.to_regclass('public.${CLAIM_INDEX}') and i.indisvalid) then
    raise exception 'index ${CLAIM_INDEX} is missing or invalid';
  end if;
end $$;
` : "";
  const verify = `-- Verify ${fileName.replace(/\.sql$/, "")}: qc_jobs has the id type and the columns the kit uses.
-- Each "-- check:" block passes by running and fails by raising an error (run inside begin ... rollback).

-- check: qc_jobs.id is ${shape.jobIdType}
do $$ begin
  if (select pg_catalog.format_type(a.atttypid, a.atttypmod) from pg_catalog.pg_attribute a
      where a.attrelid = 'public.qc_jobs'::regclass and a.attname = 'id' and not a.attisdropped) is distinct from ${sqlLiteral(shape.jobIdType)} then
    raise exception 'qc_jobs.id is missing or not ${shape.jobIdType}';
  end if;
end $$;

-- check: qc_jobs has the columns the kit uses
do $$
declare missing text;
begin
  select string_agg(col, ', ') into missing
  from unnest(array[${required.map(sqlLiteral).join(", ")}]) as col
  where not exists (select 1 from information_schema.columns c
                    where c.table_schema = 'public' and c.table_name = 'qc_jobs' and c.column_name = col);
  if missing is not null then
    raise exception 'qc_jobs lacks columns: %', missing;
  end if;
end $$;
${indexCheck}`;
  return { migration, rollback, verify };
}
