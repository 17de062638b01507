-- Supabase platform bootstrap for plain PostgreSQL and PGlite.
--
-- A hosted Supabase database already has the API roles (anon, authenticated, service_role,
-- authenticator) and the auth.* helpers that RLS policies call. Plain Postgres and PGlite have
-- neither, so the migrations could not even be granted or tested there. This script creates them
-- with Supabase's own semantics. It is NOT a migration: it never runs against a real Supabase
-- database (it detects one and changes nothing), and running it twice is harmless.
--
-- The grant regime is chosen with the session setting `bootstrap.grant_regime` before this runs:
--   'legacy'   projects created before late 2026: default privileges grant every new table,
--              sequence and function in public to anon, authenticated and service_role.
--   'explicit' projects from late 2026 on: new objects get no grant until a migration gives one.
-- The migrations grant what each role needs explicitly, so RLS behaves the same in both.

do $bootstrap$
declare
  regime text := coalesce(nullif(current_setting('bootstrap.grant_regime', true), ''), 'explicit');
  role_name text;
  role_attributes text;
begin
  if regime not in ('legacy', 'explicit') then
    raise exception 'bootstrap.grant_regime must be legacy or explicit, got %', regime;
  end if;

  -- supabase_admin and supabase_auth_admin exist on every hosted project and in `supabase start`.
  if exists (select 1 from pg_roles where rolname in ('supabase_admin', 'supabase_auth_admin')) then
    raise notice 'Supabase platform detected: bootstrap changes nothing';
    return;
  end if;

  -- The API roles, with the attributes Supabase gives them. Roles are cluster-wide, so another
  -- database on the same server may have created them already, perhaps at this very moment.
  for role_name, role_attributes in
    select * from (values
      ('anon', 'nologin noinherit'),
      ('authenticated', 'nologin noinherit'),
      ('service_role', 'nologin noinherit bypassrls'),
      -- PostgREST logs in as authenticator and switches to one of the API roles per request.
      ('authenticator', 'login noinherit')
    ) as platform_roles(role_name, role_attributes)
  loop
    if not exists (select 1 from pg_roles where rolname = role_name) then
      begin
        execute format('create role %I %s', role_name, role_attributes);
      exception when duplicate_object or unique_violation then
        null; -- created concurrently by another bootstrap
      end;
    end if;
  end loop;
  grant anon, authenticated, service_role to authenticator;

  create schema if not exists auth;
  grant usage on schema auth to anon, authenticated, service_role;
  grant usage on schema public to anon, authenticated, service_role;

  -- The helpers read the claims PostgREST puts in request.jwt.claims (and the older per-claim
  -- settings), exactly as Supabase's definitions do.
  create or replace function auth.jwt() returns jsonb
    language sql stable
    set search_path = ''
  as $fn$
    select coalesce(
      nullif(current_setting('request.jwt.claim', true), ''),
      nullif(current_setting('request.jwt.claims', true), '')
    )::jsonb
  $fn$;

  create or replace function auth.uid() returns uuid
    language sql stable
    set search_path = ''
  as $fn$
    select coalesce(
      nullif(current_setting('request.jwt.claim.sub', true), ''),
      (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
    )::uuid
  $fn$;

  create or replace function auth.role() returns text
    language sql stable
    set search_path = ''
  as $fn$
    select coalesce(
      nullif(current_setting('request.jwt.claim.role', true), ''),
      (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
    )::text
  $fn$;

  grant execute on function auth.jwt(), auth.uid(), auth.role()
    to anon, authenticated, service_role;

  if regime = 'legacy' then
    alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
    alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
    alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
  else
    alter default privileges in schema public revoke all on tables from anon, authenticated, service_role;
    alter default privileges in schema public revoke all on sequences from anon, authenticated, service_role;
    alter default privileges in schema public revoke all on functions from anon, authenticated, service_role;
  end if;
end
$bootstrap$;
