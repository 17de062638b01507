-- Roll back 20261201120200_create_rollout_signals: the guard's signal counts and run-time percentiles.
set lock_timeout = '5s';

drop function if exists public.rollout_runtime_percentiles(text, numeric, timestamptz, timestamptz);
drop function if exists public.rollout_signal_counts(text, numeric, timestamptz, timestamptz);
