// The standard rollout phases (staging, canary, production) and the guard on promotion to
// production. Pure: the caller reads the flags, their audit history and the dead-letter queue, and
// this decides.
import type { FlagUpdate } from "./flag-sql.ts";

export type RolloutPhase = "staging" | "canary" | "production";

export interface RolloutState {
  enabled: boolean;
  rolloutPercentage: number;
}

/** staging: both on for everyone; canary: the DLQ for 5 % of subjects, heartbeats off; production: both on. */
export const ROLLOUT_PHASES: Record<RolloutPhase, Record<string, RolloutState>> = {
  staging: {
    DLQ_ENABLED: { enabled: true, rolloutPercentage: 100 },
    JOB_HEARTBEAT: { enabled: true, rolloutPercentage: 100 },
  },
  canary: {
    DLQ_ENABLED: { enabled: true, rolloutPercentage: 5 },
    JOB_HEARTBEAT: { enabled: false, rolloutPercentage: 0 },
  },
  production: {
    DLQ_ENABLED: { enabled: true, rolloutPercentage: 100 },
    JOB_HEARTBEAT: { enabled: true, rolloutPercentage: 100 },
  },
};

/** Off before a migration (the deploy's first step): nobody gets either feature. */
export const FLAGS_OFF: Record<string, RolloutState> = {
  DLQ_ENABLED: { enabled: false, rolloutPercentage: 0 },
  JOB_HEARTBEAT: { enabled: false, rolloutPercentage: 0 },
};

export function isRolloutPhase(name: string): name is RolloutPhase {
  return Object.hasOwn(ROLLOUT_PHASES, name);
}

export function phaseChanges(targets: Record<string, RolloutState>): FlagUpdate[] {
  return Object.entries(targets).map(([key, state]) => ({ key, ...state }));
}

/** Two states serve the same answers: a disabled flag is off whatever its percentage. */
export function sameRolloutState(a: RolloutState, b: RolloutState): boolean {
  return a.enabled === b.enabled && (!a.enabled || a.rolloutPercentage === b.rolloutPercentage);
}

export interface AuditEntry {
  operation: "INSERT" | "UPDATE" | "DELETE";
  oldRow: { enabled?: boolean; rollout_percentage?: number | string } | null;
  newRow: { enabled?: boolean; rollout_percentage?: number | string } | null;
  changedAt: Date;
}

function stateOf(row: AuditEntry["newRow"]): RolloutState | null {
  if (!row) return null;
  return { enabled: Boolean(row.enabled), rolloutPercentage: Number(row.rollout_percentage ?? 0) };
}

/** Since when a flag has served what it serves now: its last audit entry that changed the answers. */
export function stateSince(audit: AuditEntry[]): Date | null {
  let since: Date | null = null;
  for (const entry of [...audit].sort((a, b) => a.changedAt.getTime() - b.changedAt.getTime())) {
    const before = stateOf(entry.oldRow);
    const after = stateOf(entry.newRow);
    if (!before || !after || !sameRolloutState(before, after)) since = entry.changedAt;
  }
  return since;
}

export interface FlagPromotionFacts {
  key: string;
  current: RolloutState;
  /** From the audit log; null when it has no history for the flag. */
  since: Date | null;
}

export interface PromotionGuard {
  minCanaryDays: number;
  maxDlqPerDay: number;
}

export interface PromotionVerdict {
  blockers: string[];
  notes: string[];
  /** When the canary began (the latest flag reaching its canary value); the DLQ is counted since. */
  canarySince: Date | null;
}

const DAY_MS = 86_400_000;

/** Checks each flag's canary age; the caller then counts job_dlq since canarySince for dlqVerdict. */
export function canaryVerdict(flags: FlagPromotionFacts[], guard: PromotionGuard, now: Date): PromotionVerdict {
  const verdict: PromotionVerdict = { blockers: [], notes: [], canarySince: null };
  for (const flag of flags) {
    const canary = ROLLOUT_PHASES.canary[flag.key];
    const production = ROLLOUT_PHASES.production[flag.key];
    if (!canary || !production) continue;
    if (sameRolloutState(flag.current, production)) {
      verdict.notes.push(`${flag.key} is already at its production value`);
      continue;
    }
    if (!sameRolloutState(flag.current, canary)) {
      verdict.blockers.push(`${flag.key} is not at its canary value (${describeState(canary)}) but ${describeState(flag.current)}: run \`rollout canary\` first`);
      continue;
    }
    if (!flag.since) {
      verdict.blockers.push(`${flag.key} has no audit history, so its time at the canary value cannot be shown`);
      continue;
    }
    const days = (now.getTime() - flag.since.getTime()) / DAY_MS;
    if (days < guard.minCanaryDays) {
      verdict.blockers.push(`${flag.key} has been at its canary value for ${days.toFixed(1)} days (since ${flag.since.toISOString()}); promotion needs ${guard.minCanaryDays}`);
    } else {
      verdict.notes.push(`${flag.key} has been at its canary value for ${days.toFixed(1)} days (since ${flag.since.toISOString()})`);
    }
    if (!verdict.canarySince || flag.since > verdict.canarySince) verdict.canarySince = flag.since;
  }
  return verdict;
}

/** The dead-letter queue's growth since the canary began, against the bound. */
export function dlqVerdict(entriesSince: number, since: Date, guard: PromotionGuard, now: Date): { ok: boolean; message: string } {
  const days = Math.max((now.getTime() - since.getTime()) / DAY_MS, 1);
  const perDay = entriesSince / days;
  const message = `job_dlq gained ${entriesSince} entries since ${since.toISOString()} (${perDay.toFixed(2)} a day; bound ${guard.maxDlqPerDay} a day)`;
  return { ok: perDay <= guard.maxDlqPerDay, message };
}

export function describeState(state: RolloutState): string {
  return state.enabled ? `on for ${state.rolloutPercentage} %` : "off";
}
