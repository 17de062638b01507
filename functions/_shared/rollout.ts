// The rollout rule: which subjects a flag is on for. Pure: no I/O, no environment, no clock, no
// randomness; imports unchanged in Deno, Node and a browser.
//
//   bucket(group, subject) = first 4 bytes of SHA-256(UTF-8(group + ":" + subject)),
//                            big-endian unsigned 32-bit, modulo 10000
//   on(flag, subject)      = enabled && bucket < round(rolloutPercentage * 100)
//
// So an answer is deterministic, raising the percentage keeps every subject that was on, flags
// with different bucket groups are independent, and flags sharing a group pick the same subjects.
// The SQL twin is public.flag_bucket / public.flag_enabled (migration 20261125100400); both are
// pinned by rollout-vectors.json. Changing the rule moves users between buckets: give the vectors
// a new version instead of editing them.

import { failure, ok, type Result } from "./result.ts";
import { sha256FirstWordOfJoined } from "./sha256.ts";

export const BUCKET_COUNT = 10_000;
export const MAX_SUBJECT_BYTES = 256;
/** The same shape as the CHECK on feature_flags.key. */
export const FLAG_KEY_PATTERN = /^[A-Z][A-Z0-9_]{0,63}$/;

export interface FlagDefinition {
  key: string;
  enabled: boolean;
  /** 0 to 100 in steps of 0.01. */
  rolloutPercentage: number;
  /** Flags sharing a bucket group pick the same subjects; the key when not set. */
  bucketGroup: string;
}

/** An operator's override from the function's environment (FEATURE_FLAG_<KEY>). */
export type FlagOverride =
  | { kind: "on" }
  | { kind: "off" }
  | { kind: "percentage"; percentage: number };

/**
 * OpenFeature's reasons, plus OVERRIDE (an environment override decided the value).
 * STATIC: every subject gets the same value (enabled at 0 % or 100 %); SPLIT: the bucket decided;
 * ERROR: no flag data could be read, so the flag is off. OpenFeature's DEFAULT (a fall-back to a
 * pre-configured value) has no case here: a known flag is always evaluated, and an unknown key has
 * no answer (OFREP's FLAG_NOT_FOUND), so the caller's own default applies on its side.
 */
export type EvaluationReason = "DISABLED" | "SPLIT" | "STATIC" | "ERROR" | "OVERRIDE";

export interface FlagEvaluation {
  key: string;
  value: boolean;
  reason: EvaluationReason;
  /** The subject's bucket in the flag's group, 0..9999. */
  bucket: number;
  /** The percentage that was applied (after any percentage override). */
  rolloutPercentage: number;
  overridden: boolean;
}

/** A validated value, or why the input is not valid (in words). */
export type Validated<T> = Result<T, string>;

const utf8 = new TextEncoder();

export function bucketOf(bucketGroup: string, subject: string): number {
  return sha256FirstWordOfJoined(bucketGroup, subject) % BUCKET_COUNT;
}

/** The bucket threshold for a percentage: subjects with bucket below it are on. */
export function thresholdOf(rolloutPercentage: number): number {
  return Math.round(rolloutPercentage * 100);
}

export function evaluateFlag(
  flag: FlagDefinition,
  subject: string,
  override?: FlagOverride,
): FlagEvaluation {
  const bucket = bucketOf(flag.bucketGroup || flag.key, subject);
  const overridden = override !== undefined;
  // One object literal shape for every answer (no closure per call): the evaluation loop of a
  // lookup is allocation-light.
  if (override?.kind === "on") return { key: flag.key, value: true, reason: "OVERRIDE", bucket, rolloutPercentage: 100, overridden };
  if (override?.kind === "off") return { key: flag.key, value: false, reason: "OVERRIDE", bucket, rolloutPercentage: 0, overridden };
  // A percentage override rolls the flag out at that percentage whatever `enabled` says.
  const enabled = override?.kind === "percentage" || flag.enabled;
  const percentage = override?.kind === "percentage" ? override.percentage : flag.rolloutPercentage;
  if (!enabled) return { key: flag.key, value: false, reason: "DISABLED", bucket, rolloutPercentage: percentage, overridden };
  const threshold = thresholdOf(percentage);
  const reason = threshold <= 0 || threshold >= BUCKET_COUNT ? "STATIC" : "SPLIT";
  return { key: flag.key, value: bucket < threshold, reason, bucket, rolloutPercentage: percentage, overridden };
}

/** The answer when no flag data could be read at all: off, and say so. */
export function evaluateWithoutData(key: string, subject: string, override?: FlagOverride): FlagEvaluation {
  if (override) return evaluateFlag({ key, enabled: false, rolloutPercentage: 0, bucketGroup: key }, subject, override);
  return { key, value: false, reason: "ERROR", bucket: bucketOf(key, subject), rolloutPercentage: 0, overridden: false };
}

export function validateSubject(subject: string | null | undefined): Validated<string> {
  if (subject === null || subject === undefined) return failure("subject is required");
  if (subject.length === 0) return failure("subject must not be empty");
  // A UTF-16 code unit is at most 3 UTF-8 bytes: short subjects need no encoding to be counted.
  if (subject.length * 3 <= MAX_SUBJECT_BYTES) return ok(subject);
  const bytes = utf8.encode(subject).length;
  if (bytes > MAX_SUBJECT_BYTES) {
    return failure(`subject is ${bytes} bytes; at most ${MAX_SUBJECT_BYTES} UTF-8 bytes are allowed`);
  }
  return ok(subject);
}

export function validateFlagKey(key: string): Validated<string> {
  if (FLAG_KEY_PATTERN.test(key)) return ok(key);
  return failure(`flag key ${JSON.stringify(key.slice(0, 80))} must be upper snake case (A-Z, 0-9, _), start with a letter and be at most 64 characters`);
}

export function validateRolloutPercentage(value: unknown): Validated<number> {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    return failure("rollout percentage must be a number");
  }
  if (value < 0 || value > 100) return failure(`rollout percentage must be between 0 and 100, got ${value}`);
  if (Math.abs(value * 100 - Math.round(value * 100)) > 1e-9) {
    return failure(`rollout percentage must be in steps of 0.01, got ${value}`);
  }
  return ok(value);
}

/** Parses FEATURE_FLAG_<KEY>: "true", "false", or a percentage such as "5" or "12.5%". */
export function parseOverride(raw: string): Validated<FlagOverride> {
  const text = raw.trim().toLowerCase();
  if (text === "true") return ok({ kind: "on" });
  if (text === "false") return ok({ kind: "off" });
  const match = /^(\d{1,3}(?:\.\d{1,2})?)%?$/.exec(text);
  if (match) {
    const percentage = validateRolloutPercentage(Number(match[1]));
    if (percentage.error === null) return ok({ kind: "percentage", percentage: percentage.data });
  }
  return failure(`override ${JSON.stringify(raw)} must be true, false or a percentage from 0 to 100`);
}
