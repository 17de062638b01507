-- Roll back 20261125100400_create_flag_rollout_rule: drop the SQL rollout rule.
-- Database code that gates on flag_enabled() must be rolled back first (a later migration's rollback).
set lock_timeout = '5s';

drop function if exists public.flag_enabled(text, text);
drop function if exists public.flag_bucket(text, text);
