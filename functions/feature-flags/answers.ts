// Lookup answers as JSON text, written directly instead of building objects for JSON.stringify.
//
// Per flag snapshot, the parts that do not change between requests are serialized once (the
// source's state, read time and error); per request only the evaluation's value and bucket, the
// subject and the cache age are filled in. The text is byte for byte what JSON.stringify gives
// for the same object (tests/unit/flags-function/answers.test.ts compares them), so clients see no
// difference. Keys, reasons and numbers need no escaping: keys are upper snake case (checked by
// the table and by validateFlagKey), reasons a fixed set, percentages and buckets finite numbers;
// per request only the subject goes through JSON.stringify.

import type { FlagEvaluation } from "../_shared/rollout.ts";
import type { FlagSnapshot } from "./flag-cache.ts";
import { sourceReport } from "./evaluate.ts";
import { Fnv64 } from "./fnv64.ts";

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
  // The report the health check gives a public caller (evaluate.ts), as text: its time format, and
  // READ_FAILED rather than the database's own error, as lookups are open to public keys.
  const report = sourceReport(snapshot);
  lastSource = {
    state: snapshot.state,
    fetchedAt: snapshot.fetchedAt,
    lastError: error,
    head: `{"state":"${report.state}","fetchedAt":${JSON.stringify(report.fetchedAt)},"ageMs":`,
    tail: report.error === undefined ? "}" : `,"error":${JSON.stringify(report.error)}}`,
    ofrepSource: `"source":"${snapshot.state}"`,
  };
  return lastSource;
}

/** The `source` object of plain answers: { state, fetchedAt, ageMs, error? }. */
export function sourceJson(snapshot: FlagSnapshot): string {
  const parts = sourceParts(snapshot);
  return `${parts.head}${snapshot.ageMs}${parts.tail}`;
}

/**
 * The text of one flag's answers that is the same for every subject (all but the value, which
 * picks one of two heads, and the bucket), kept per key for as long as what it was written from
 * (the evaluation's reason, percentage and override, the source's state) stays the same.
 */
interface FlagPieces {
  reason: FlagEvaluation["reason"];
  rolloutPercentage: number;
  overridden: boolean;
  state: FlagSnapshot["state"];
  /** `{"key":"<KEY>","value":<true|false>,"reason":"<REASON>","bucket":` */
  plainOn: string;
  plainOff: string;
  /** `,"rolloutPercentage":<P>,"overridden":<O>` */
  plainTail: string;
  /** `{"key":...,"value":...,"reason":...,"variant":"<on|off>","metadata":{"bucket":` */
  ofrepOn: string;
  ofrepOff: string;
  /** `,"rolloutPercentage":<P>,"overridden":<O>,"source":"<state>"` */
  ofrepTail: string;
  /** A hash of the three OFREP texts, for the bulk answer's ETag. */
  ofrepHash: Fnv64;
}

const pieces = new Map<string, FlagPieces>();
/** With no flag data every requested key is answered, so the pieces kept are bounded. */
const MAX_PIECES = 256;

function piecesOf(e: FlagEvaluation, snapshot: FlagSnapshot): FlagPieces {
  const kept = pieces.get(e.key);
  if (kept !== undefined && kept.reason === e.reason && kept.rolloutPercentage === e.rolloutPercentage && kept.overridden === e.overridden && kept.state === snapshot.state) {
    return kept;
  }
  const tail = `,"rolloutPercentage":${e.rolloutPercentage},"overridden":${e.overridden}`;
  const written: FlagPieces = {
    reason: e.reason,
    rolloutPercentage: e.rolloutPercentage,
    overridden: e.overridden,
    state: snapshot.state,
    plainOn: `{"key":"${e.key}","value":true,"reason":"${e.reason}","bucket":`,
    plainOff: `{"key":"${e.key}","value":false,"reason":"${e.reason}","bucket":`,
    plainTail: tail,
    ofrepOn: `{"key":"${e.key}","value":true,"reason":"${e.reason}","variant":"on","metadata":{"bucket":`,
    ofrepOff: `{"key":"${e.key}","value":false,"reason":"${e.reason}","variant":"off","metadata":{"bucket":`,
    ofrepTail: `${tail},${sourceParts(snapshot).ofrepSource}`,
    ofrepHash: new Fnv64(),
  };
  // Each text with its length before it, so no two sets of texts hash the same bytes.
  for (const text of [written.ofrepOn, written.ofrepOff, written.ofrepTail]) written.ofrepHash.uint32(text.length).text(text);
  if (kept === undefined && pieces.size >= MAX_PIECES) pieces.clear();
  pieces.set(e.key, written);
  return written;
}

/** The evaluation's members without the closing brace: key, value, reason, bucket, rolloutPercentage, overridden. */
function evaluationMembers(e: FlagEvaluation, snapshot: FlagSnapshot): string {
  const p = piecesOf(e, snapshot);
  return (e.value ? p.plainOn : p.plainOff) + e.bucket + p.plainTail;
}

/** GET /feature-flags/<KEY>: the evaluation with the subject and source added. */
export function singleAnswerJson(e: FlagEvaluation, subject: string, snapshot: FlagSnapshot): string {
  return `${evaluationMembers(e, snapshot)},"subject":${JSON.stringify(subject)},"source":${sourceJson(snapshot)}}`;
}

/** GET /feature-flags: { subject, flags: { <KEY>: evaluation }, source }. */
export function listAnswerJson(evaluations: readonly FlagEvaluation[], subject: string, snapshot: FlagSnapshot): string {
  let flags = "";
  for (let i = 0; i < evaluations.length; i++) {
    const e = evaluations[i]!;
    flags += `${i === 0 ? "" : ","}"${e.key}":${evaluationMembers(e, snapshot)}}`;
  }
  return `{"subject":${JSON.stringify(subject)},"flags":{${flags}},"source":${sourceJson(snapshot)}}`;
}

/** OFREP's success object up to its metadata's source, without the age and the closing braces. */
function ofrepMembers(e: FlagEvaluation, p: FlagPieces): string {
  return (e.value ? p.ofrepOn : p.ofrepOff) + e.bucket + p.ofrepTail;
}

/** `,"sourceAgeMs":<age>}}`, or `}}` when the flags have no age. */
function ofrepEnd(snapshot: FlagSnapshot): string {
  return snapshot.ageMs === null ? "}}" : `,"sourceAgeMs":${snapshot.ageMs}}}`;
}

/**
 * OFREP's success object: { key, value, reason, variant, metadata: { bucket, rolloutPercentage,
 * overridden, source, sourceAgeMs? } }.
 */
export function ofrepFlagJson(e: FlagEvaluation, snapshot: FlagSnapshot): string {
  return ofrepMembers(e, piecesOf(e, snapshot)) + ofrepEnd(snapshot);
}

/**
 * OFREP's bulk answer { flags: [ <success object>, ... ] } (`body`) and its strong ETag (`etag`),
 * which changes whenever the answer without its age would, so an unchanged answer is a 304 as the
 * cache ages.
 *
 * Each flag's object is its pieces (the text that is the same for every subject) with the value
 * and bucket filled in, so the answer without its age is given by the pieces' text in order, and
 * each flag's value and bucket. The tag is a hash of exactly that: each piece's own hash (worked
 * out once, with the piece), then the value and bucket. No text is hashed per request.
 */
export function ofrepBulkJson(evaluations: readonly FlagEvaluation[], snapshot: FlagSnapshot): { body: string; etag: string } {
  const end = ofrepEnd(snapshot);
  const tag = new Fnv64();
  let body = "";
  for (let i = 0; i < evaluations.length; i++) {
    const e = evaluations[i]!;
    const p = piecesOf(e, snapshot);
    body += (i === 0 ? "" : ",") + ofrepMembers(e, p) + end;
    tag.uint32(p.ofrepHash.high).uint32(p.ofrepHash.low).byte(e.value ? 1 : 0).uint32(e.bucket);
  }
  return { body: `{"flags":[${body}]}`, etag: `"${tag.hex()}"` };
}
