// Lookup answers as JSON text, written directly instead of building objects for JSON.stringify.
//
// Per flag snapshot, the parts that do not change between requests are serialized once (the
// source's state, read time and error); per request only the evaluation's value and bucket, the
// subject and the cache age are filled in. The text is byte for byte what JSON.stringify gives
// for the same object (tests/unit/flags-function/answers.test.ts compares them), so clients see no
// difference. Keys, reasons and numbers need no escaping: keys are upper snake case (checked by
// the table and by validateFlagKey), reasons a fixed set, percentages and buckets finite numbers;
// only the subject (and a read error) goes through JSON.stringify.

import type { FlagEvaluation } from "../_shared/rollout.ts";
import type { FlagSnapshot } from "./flag-cache.ts";

/** The source object's text up to its age, and after it. */
interface SourceParts {
  state: FlagSnapshot["state"];
  fetchedAt: number | null;
  lastError: string | null;
  /** `{"state":...,"fetchedAt":...,"ageMs":` */
  head: string;
  /** `}` or `,"error":"..."}` */
  tail: string;
  /** OFREP metadata's `"source":"<state>"` part. */
  ofrepSource: string;
}

let lastSource: SourceParts | undefined;

/** The constant parts of a snapshot's source report, serialized once per snapshot. */
function sourceParts(snapshot: FlagSnapshot): SourceParts {
  const cached = lastSource;
  const error = snapshot.state !== "fresh" && snapshot.lastError ? snapshot.lastError : null;
  if (cached && cached.state === snapshot.state && cached.fetchedAt === snapshot.fetchedAt && cached.lastError === error) return cached;
  const fetchedAt = snapshot.fetchedAt === null ? "null" : `"${new Date(snapshot.fetchedAt).toISOString()}"`;
  lastSource = {
    state: snapshot.state,
    fetchedAt: snapshot.fetchedAt,
    lastError: error,
    head: `{"state":"${snapshot.state}","fetchedAt":${fetchedAt},"ageMs":`,
    tail: error === null ? "}" : `,"error":${JSON.stringify(error)}}`,
    ofrepSource: `"source":"${snapshot.state}"`,
  };
  return lastSource;
}

/** The `source` object of plain answers: { state, fetchedAt, ageMs, error? }. */
export function sourceJson(snapshot: FlagSnapshot): string {
  const parts = sourceParts(snapshot);
  return `${parts.head}${snapshot.ageMs}${parts.tail}`;
}

/** One evaluation: { key, value, reason, bucket, rolloutPercentage, overridden }. */
export function evaluationJson(e: FlagEvaluation): string {
  return `{"key":"${e.key}","value":${e.value},"reason":"${e.reason}","bucket":${e.bucket},"rolloutPercentage":${e.rolloutPercentage},"overridden":${e.overridden}}`;
}

/** GET /feature-flags/<KEY>: the evaluation with the subject and source added. */
export function singleAnswerJson(e: FlagEvaluation, subject: string, snapshot: FlagSnapshot): string {
  return `{"key":"${e.key}","value":${e.value},"reason":"${e.reason}","bucket":${e.bucket},"rolloutPercentage":${e.rolloutPercentage},"overridden":${e.overridden},"subject":${JSON.stringify(subject)},"source":${sourceJson(snapshot)}}`;
}

/** GET /feature-flags: { subject, flags: { <KEY>: evaluation }, source }. */
export function listAnswerJson(evaluations: readonly FlagEvaluation[], subject: string, snapshot: FlagSnapshot): string {
  let flags = "";
  for (const e of evaluations) flags += `${flags === "" ? "" : ","}"${e.key}":${evaluationJson(e)}`;
  return `{"subject":${JSON.stringify(subject)},"flags":{${flags}},"source":${sourceJson(snapshot)}}`;
}

/**
 * OFREP's success object: { key, value, reason, variant, metadata: { bucket, rolloutPercentage,
 * overridden, source, sourceAgeMs? } }; without the age when `withAge` is false (what the bulk
 * ETag covers, so an unchanged answer keeps its tag as the cache ages).
 */
export function ofrepFlagJson(e: FlagEvaluation, snapshot: FlagSnapshot, withAge = true): string {
  const age = withAge && snapshot.ageMs !== null ? `,"sourceAgeMs":${snapshot.ageMs}` : "";
  return `{"key":"${e.key}","value":${e.value},"reason":"${e.reason}","variant":"${e.value ? "on" : "off"}","metadata":{"bucket":${e.bucket},"rolloutPercentage":${e.rolloutPercentage},"overridden":${e.overridden},${sourceParts(snapshot).ofrepSource}${age}}}`;
}
