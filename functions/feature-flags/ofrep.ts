// The OpenFeature Remote Evaluation Protocol (OFREP) view of an evaluation, per the protocol's
// OpenAPI (github.com/open-feature/protocol, service/openapi.yaml):
//
//   request      { "context": { "targetingKey": "<subject>", ... } }
//   200 single   { key, value, reason, variant, metadata }
//   200 bulk     { flags: [ <single>, ... ] } with an ETag; If-None-Match that matches -> 304
//   400          { key, errorCode: PARSE_ERROR | TARGETING_KEY_MISSING | INVALID_CONTEXT, errorDetails }
//                (bulk: no key)
//   404 single   { key, errorCode: FLAG_NOT_FOUND, errorDetails }
//                (the codes and their status: OFREP_ERROR_STATUS below)
//   401          missing or wrong credentials
// With no flag data at all a flag is answered 200, value false, reason ERROR (the same answer
// as the plain API), never a 5xx.

import { failure, ok, type Result } from "../_shared/result.ts";
import { validateSubject } from "../_shared/rollout.ts";
import type { BodyRead } from "./request-body.ts";

/** OFREP's error codes and the status each is answered with (the protocol's own table). */
export const OFREP_ERROR_STATUS = {
  PARSE_ERROR: 400,
  TARGETING_KEY_MISSING: 400,
  INVALID_CONTEXT: 400,
  FLAG_NOT_FOUND: 404,
} as const;

export type OfrepErrorCode = keyof typeof OFREP_ERROR_STATUS;

export interface OfrepError {
  errorCode: OfrepErrorCode;
  errorDetails: string;
}

/** An OFREP error answer: its status and body (`key` on single-flag routes only). */
export function ofrepErrorAnswer(error: OfrepError, key?: string): { status: number; body: object } {
  return { status: OFREP_ERROR_STATUS[error.errorCode], body: key === undefined ? error : { key, ...error } };
}

const fail = (errorCode: OfrepErrorCode, errorDetails: string) => failure<OfrepError>({ errorCode, errorDetails });

/**
 * The body every OFREP client sends, `{"context":{"targetingKey":"<key>"}}` with nothing else and
 * a key without escapes or control characters: JSON.parse would give exactly that object, with
 * the key as written, so the key is taken from the text without parsing it.
 */
const PLAIN_TARGETING_KEY_BODY = /^\{"context":\{"targetingKey":"([^"\\\u0000-\u001f]*)"\}\}$/;

/** Reads the evaluation context's targetingKey (the subject) from a request body as read. */
export function parseOfrepRequest(body: BodyRead): Result<string, OfrepError> {
  if (body.error !== null) return fail("PARSE_ERROR", "the request body could not be read or is over 64 KiB");
  const plain = PLAIN_TARGETING_KEY_BODY.exec(body.data);
  return plain !== null ? subjectOf(plain[1]!) : parseOfrepJson(body.data);
}

/** parseOfrepRequest for any body text: parsed as JSON (an empty or blank body is `{}`). */
export function parseOfrepJson(bodyText: string): Result<string, OfrepError> {
  let json: unknown = {};
  if (bodyText.trim() !== "") {
    try {
      json = JSON.parse(bodyText);
    } catch {
      return fail("PARSE_ERROR", "the request body is not valid JSON");
    }
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return fail("PARSE_ERROR", "the request body must be a JSON object like {\"context\": {\"targetingKey\": \"tenant-1\"}}");
  }
  const context = (json as Record<string, unknown>).context ?? {};
  if (typeof context !== "object" || context === null || Array.isArray(context)) {
    return fail("INVALID_CONTEXT", "context must be a JSON object");
  }
  return subjectOf((context as Record<string, unknown>).targetingKey);
}

function subjectOf(targetingKey: unknown): Result<string, OfrepError> {
  if (targetingKey === undefined || targetingKey === null || targetingKey === "") {
    return fail("TARGETING_KEY_MISSING", "context.targetingKey is required: it is the subject the rollout is decided for");
  }
  if (typeof targetingKey !== "string") return fail("INVALID_CONTEXT", "context.targetingKey must be a string");
  const subject = validateSubject(targetingKey);
  if (subject.error !== null) return fail("INVALID_CONTEXT", `context.targetingKey: ${subject.error}`);
  return ok(subject.data);
}

/** RFC 9110 If-None-Match: `*` or a list of (possibly weak) tags, compared weakly. */
export function ifNoneMatchHits(header: string | null, etag: string): boolean {
  if (header === null) return false;
  const bare = (tag: string) => tag.trim().replace(/^W\//, "");
  return header.split(",").some((tag) => tag.trim() === "*" || bare(tag) === bare(etag));
}
