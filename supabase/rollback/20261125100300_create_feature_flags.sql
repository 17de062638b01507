-- Roll back 20261125100300_create_feature_flags: drop the flags table and its audit trail.
-- The flags' current values and history are lost; `npm run ops -- backup` keeps them first.
set lock_timeout = '5s';

drop table if exists public.feature_flags;
drop table if exists public.feature_flag_audit;
drop function if exists public.feature_flags_audit();
drop function if exists public.feature_flags_stamp();
drop function if exists public.feature_flag_actor();
