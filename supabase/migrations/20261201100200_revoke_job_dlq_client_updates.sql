-- Dead-letter queue changes go through the audited functions only.
--
-- Before: a signed-in user with app_metadata.role = admin could UPDATE job_dlq's review columns
-- directly: no job_dlq_actions row, resolved_by set to any name, and an entry set to 'retrying'
-- with no job behind it, which redrive then skipped for good. Now no client role (anon,
-- authenticated) may change job_dlq at all; admins still read it. Reviews, retries, redrives and
-- discards go through dlq_retry_entry, dlq_redrive and dlq_discard_entry (service_role: the ops
-- commands, or a server-side endpoint that checks the admin claim), which record each change in
-- job_dlq_actions and take resolved_by from the caller's identity (feature_flag_actor()), never
-- from input.
-- Rollback: supabase/rollback/20261201100200_revoke_job_dlq_client_updates.sql

set lock_timeout = '5s';

drop policy if exists job_dlq_admin_review on public.job_dlq;
revoke update on public.job_dlq from anon, authenticated;
