-- Plan migration 002: job heartbeats.
--
-- A running job's worker writes `last_heartbeat_at` every few seconds; the watchdog rescues jobs
-- whose heartbeat went quiet (the worker died). Safe on a large, live qc_jobs:
--   * the column is nullable with no default, so adding it only touches the catalog (no rewrite);
--     lock_timeout bounds the moment its ACCESS EXCLUSIVE lock is waited for, so a long-running
--     query holding qc_jobs makes this push fail fast instead of queueing every writer behind it;
--   * the indexes are built CONCURRENTLY: the Supabase CLI runs those statements on their own,
--     outside the file's transaction, and writers keep going while they build.
-- A push that failed half way is run again whole: every statement here is idempotent, and an
-- INVALID index left by a failed concurrent build is dropped first so that it is rebuilt, not
-- skipped by IF NOT EXISTS.
-- Rollback: supabase/rollback/20261125100200_add_heartbeat_column.sql.

set lock_timeout = '5s';

alter table public.qc_jobs add column if not exists last_heartbeat_at timestamptz;

comment on column public.qc_jobs.last_heartbeat_at is
  'Last time the worker running this job reported progress; null until its first heartbeat.';

-- Heartbeat write cost. Because idx_qc_jobs_heartbeat indexes last_heartbeat_at, no heartbeat
-- UPDATE can be HOT: each one writes a new row version plus an entry in every index whose
-- predicate the row meets. Free space on the page lets that new version stay on the same page
-- (one page dirtied instead of two, no relation extension, and pruning reclaims the old version
-- in place), so qc_jobs keeps 20 % of each heap page free. SET (fillfactor) only changes the
-- catalog (SHARE UPDATE EXCLUSIVE lock, no rewrite): pages written from now on follow it; existing
-- pages keep their packing until they are rewritten. A table already tuned lower is left alone.
do $fillfactor$
declare
  current_fillfactor integer;
begin
  select coalesce((select option_value::integer
                   from pg_catalog.pg_options_to_table(c.reloptions)
                   where option_name = 'fillfactor'), 100)
    into current_fillfactor
  from pg_catalog.pg_class c
  where c.oid = 'public.qc_jobs'::regclass;
  if current_fillfactor > 80 then
    alter table public.qc_jobs set (fillfactor = 80);
  else
    raise notice 'qc_jobs already has fillfactor %, keeping it', current_fillfactor;
  end if;
end
$fillfactor$;

do $drop_invalid$
declare
  invalid_index text;
begin
  for invalid_index in
    select c.relname
    from pg_catalog.pg_index i
    join pg_catalog.pg_class c on c.oid = i.indexrelid
    join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public'
      and c.relname in ('idx_qc_jobs_heartbeat', 'idx_qc_jobs_running_heartbeat')
      and not i.indisvalid
  loop
    raise notice 'dropping invalid index public.% left by an interrupted build', invalid_index;
    execute pg_catalog.format('drop index public.%I', invalid_index);
  end loop;
end
$drop_invalid$;

-- Any job by heartbeat time (operators' queries, the verification script).
create index concurrently if not exists idx_qc_jobs_heartbeat
  on public.qc_jobs (last_heartbeat_at);

-- The watchdog's scan: running jobs only, so the index stays as small as the set of running jobs
-- (a few entries per worker, hot in cache) however many finished jobs the table holds. It is
-- keyed on the one expression the watchdog filters and orders by, and INCLUDEs nothing: every
-- column an index names is one more column whose change makes an UPDATE non-HOT, and the watchdog
-- must visit the heap row anyway to lock it. coalesce(last_heartbeat_at, started_at) is when the
-- job last showed life: a running job with no heartbeat yet counts from when it started.
create index concurrently if not exists idx_qc_jobs_running_heartbeat
  on public.qc_jobs ((coalesce(last_heartbeat_at, started_at)))
  where status = 'running';
