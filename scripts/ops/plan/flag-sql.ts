// Flag changes as SQL, built by pure functions: `flags set --dry-run` and `rollout --dry-run`
// print exactly the statements the live path runs (there is no second code path that could
// differ from what runs). Input is checked with the same
// validators the edge function uses (functions/_shared/rollout.ts).
import { validateFlagKey, validateRolloutPercentage } from "../../../functions/_shared/rollout.ts";

/** An operator's change to one flag (`flags set`, a rollout phase): the fields given are set. */
export interface FlagUpdate {
  key: string;
  enabled?: boolean;
  rolloutPercentage?: number;
  description?: string;
}

export interface Statement {
  text: string;
  params: Array<string | number | boolean | null>;
}

export class InvalidFlagChange extends Error {}

export function validateFlagChange(change: FlagUpdate): FlagUpdate {
  const key = validateFlagKey(change.key);
  if (key.error !== null) throw new InvalidFlagChange(key.error);
  if (change.rolloutPercentage !== undefined) {
    const percentage = validateRolloutPercentage(change.rolloutPercentage);
    if (percentage.error !== null) throw new InvalidFlagChange(`${change.key}: ${percentage.error}`);
  }
  if (change.enabled === undefined && change.rolloutPercentage === undefined && change.description === undefined) {
    throw new InvalidFlagChange(`${change.key}: nothing to change (give --enabled, --percentage or --description)`);
  }
  return change;
}

/** Names the operator for the audit trigger (feature_flag_actor() reads it), for this transaction only. */
export function actorStatement(actor: string): Statement {
  return { text: "select pg_catalog.set_config('audit.actor', $1, true)", params: [actor] };
}

/** One flag's update; a flag that does not exist updates nothing and the caller refuses. */
export function flagUpdateStatement(change: FlagUpdate): Statement {
  return {
    text:
      "update public.feature_flags set " +
      "enabled = coalesce($2::boolean, enabled), " +
      "rollout_percentage = coalesce($3::numeric, rollout_percentage), " +
      "description = coalesce($4::text, description) " +
      "where key = $1 returning key, enabled, rollout_percentage::float8 as rollout_percentage",
    params: [change.key, change.enabled ?? null, change.rolloutPercentage ?? null, change.description ?? null],
  };
}

export function renderStatement(statement: Statement): string {
  return `${statement.text};  -- parameters: ${JSON.stringify(statement.params)}`;
}
