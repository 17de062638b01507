// The feature-flags function as a Request -> Response handler. Everything it needs is passed in
// (index.ts wires the real postgres.js, @supabase/server and environment), so the same handler
// runs in Deno and, for in-process tests, in Node.

import { validateFlagKey, validateSubject } from "../_shared/rollout.ts";
import type { Authenticator, Caller } from "./auth.ts";
import type { FunctionConfig } from "./config.ts";
import { corsHeadersFor } from "./cors.ts";
import { ERROR_STATUS, type ApiError, type ErrorCode } from "./errors.ts";
import { listAnswerJson, ofrepFlagJson, singleAnswerJson } from "./answers.ts";
import { evaluateAll, evaluateKey, sourceReport } from "./evaluate.ts";
import type { FlagDatabase } from "./flag-database.ts";
import type { FlagCache, SourceState } from "./flag-cache.ts";
import { parseFlagChange } from "./flag-update.ts";
import { etagOf, ifNoneMatchHits, parseOfrepRequest } from "./ofrep.ts";
import { queryParam, targetOf, type RequestTarget } from "./request-target.ts";
import { readBodyWithin } from "./request-body.ts";
import { routeOf, type Route } from "./routes.ts";

export interface HandlerDependencies {
  config: Pick<FunctionConfig, "overrides" | "invalidOverrides" | "cacheTtlMs" | "staleLimitMs">;
  store: FlagCache;
  database: FlagDatabase;
  auth: Authenticator;
  /** supabase-js's canonical CORS headers. */
  supabaseCors: Readonly<Record<string, string>>;
  log?: (message: string) => void;
}

/** Bodies larger than this are refused, by Content-Length or while streaming (flag requests are tiny). */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * `target`: the pathname and query the function sees, when they are not the request URL's (the
 * local gateway strips its /functions/v1 prefix this way instead of copying the request).
 */
export type Handler = (request: Request, target?: RequestTarget) => Promise<Response>;

export function createHandler(deps: HandlerDependencies): Handler {
  const cors = corsHeadersFor(deps.supabaseCors);
  const log = deps.log ?? ((message: string) => console.error(message));

  const corsEntries = Object.entries(cors);
  // Built once: spreading a dozen headers into every answer was a measurable share of a lookup.
  const JSON_HEADERS: Readonly<Record<string, string>> = { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" };
  const EMPTY_HEADERS: Readonly<Record<string, string>> = { "Cache-Control": "no-store" };
  const respond = (status: number, body: unknown, headers?: Record<string, string>) => {
    const base = body === null ? EMPTY_HEADERS : JSON_HEADERS;
    return new Response(body === null ? null : JSON.stringify(body), { status, headers: headers ? { ...base, ...headers } : base });
  };
  // Lookup answers: JSON text (answers.ts) and one prebuilt header object per source state.
  const answerHeaders: Readonly<Record<SourceState, Readonly<Record<string, string>>>> = {
    fresh: { ...JSON_HEADERS, "X-Flags-Source": "fresh" },
    stale: { ...JSON_HEADERS, "X-Flags-Source": "stale" },
    unavailable: { ...JSON_HEADERS, "X-Flags-Source": "unavailable" },
  };
  const answer = (json: string, state: keyof typeof answerHeaders) => new Response(json, { status: 200, headers: answerHeaders[state] });
  const error = (code: ErrorCode, message: string, headers?: Record<string, string>) =>
    respond(ERROR_STATUS[code], { error: { code, message } satisfies ApiError }, headers);
  const fromError = (apiError: ApiError) => error(apiError.code, apiError.message);

  async function dispatch(request: Request, target: RequestTarget, route: Route): Promise<Response> {
    switch (route.kind) {
      case "preflight":
        return new Response(null, { status: 204, headers: cors });
      case "not_found":
        return error("route_not_found", "no such endpoint: see GET /feature-flags, /feature-flags/<KEY>, /feature-flags/health and /feature-flags/ofrep/v1/evaluate/flags");
      case "method_not_allowed":
        return error("method_not_allowed", `use ${route.allow.join(", ")}`, { Allow: route.allow.join(", ") });
      case "update_flag": {
        const caller = await deps.auth.writer(request);
        if (caller.error) return fromError(caller.error);
        return updateFlag(request, route.key, caller.data);
      }
    }
    const caller = await deps.auth.reader(request);
    if (caller.error) return fromError(caller.error);
    switch (route.kind) {
      case "list":
        return listFlags(target);
      case "get_flag":
        return getFlag(target, route.key);
      case "health":
        return health(caller.data);
      case "ofrep_flag":
        return ofrepFlag(request, route.key);
      case "ofrep_bulk":
        return ofrepBulk(request);
    }
  }

  function subjectOf(target: RequestTarget) {
    return validateSubject(queryParam(target.query, "subject"));
  }

  async function listFlags(target: RequestTarget): Promise<Response> {
    const subject = subjectOf(target);
    if (!subject.ok) return error("invalid_subject", subject.error);
    const snapshot = await deps.store.snapshot();
    const evaluations = evaluateAll(snapshot, deps.config.overrides, subject.value);
    return answer(listAnswerJson(evaluations, subject.value, snapshot), snapshot.state);
  }

  async function getFlag(target: RequestTarget, rawKey: string): Promise<Response> {
    const key = validateFlagKey(rawKey);
    if (!key.ok) return error("invalid_flag_key", key.error);
    const subject = subjectOf(target);
    if (!subject.ok) return error("invalid_subject", subject.error);
    const snapshot = await deps.store.snapshot();
    const evaluation = evaluateKey(snapshot, deps.config.overrides, key.value, subject.value);
    if (!evaluation) return error("flag_not_found", `there is no flag ${key.value}`);
    return answer(singleAnswerJson(evaluation, subject.value, snapshot), snapshot.state);
  }

  async function updateFlag(request: Request, rawKey: string, caller: Caller): Promise<Response> {
    const key = validateFlagKey(rawKey);
    if (!key.ok) return error("invalid_flag_key", key.error);
    const bodyText = await readBody(request);
    if (bodyText === null) return error("invalid_body", `the body must be at most ${MAX_BODY_BYTES} bytes`);
    const change = parseFlagChange(bodyText);
    if (change.error) return fromError(change.error);
    const result = await deps.database.updateFlag(key.value, change.data, caller.actor);
    if (result.outcome === "not_found") return error("flag_not_found", `there is no flag ${key.value}`);
    if (result.outcome === "not_applied") {
      log(`feature-flags: updating ${key.value} was not applied: ${result.reason}`);
      return error("database_unavailable", `the flag was not changed: ${result.reason}`);
    }
    if (result.outcome === "unknown") {
      log(`feature-flags: updating ${key.value}: outcome unknown: ${result.reason}`);
      deps.store.invalidate();
      return respond(ERROR_STATUS.outcome_unknown, {
        error: { code: "outcome_unknown", message: `the change may or may not have been applied: ${result.reason}; read the flag again before retrying` } satisfies ApiError,
        // The row as read back on a new connection after the attempt, when it could be read.
        flag: result.flag,
      });
    }
    const flag = result.flag;
    // This instance serves the change at once; other instances within their cache TTL.
    deps.store.invalidate();
    const override = deps.config.overrides.get(key.value);
    return respond(200, {
      flag,
      actor: caller.actor,
      ...(override ? { warning: `FEATURE_FLAG_${key.value} is set in this function's environment and takes precedence over the table` } : {}),
    });
  }

  async function health(caller: Caller): Promise<Response> {
    let databaseError: string | null = null;
    try {
      await deps.database.ping();
    } catch (cause) {
      log(`feature-flags: health: database unreachable: ${describe(cause)}`);
      // The raw error names hosts and ports: only a secret-key caller (an operator) sees it.
      databaseError = caller.mode === "secret" ? describe(cause) : "unreachable (the function's log has the details)";
    }
    const snapshot = await deps.store.snapshot();
    const source = sourceReport(snapshot);
    const status = snapshot.state === "unavailable"
      ? "unavailable"
      : databaseError || snapshot.state === "stale" || deps.config.invalidOverrides.length > 0
      ? "degraded"
      : "ok";
    return respond(status === "unavailable" ? 503 : 200, {
      status,
      database: { reachable: databaseError === null, ...(databaseError ? { error: databaseError } : {}) },
      cache: {
        ...source,
        stale: snapshot.state !== "fresh",
        flagCount: snapshot.flags?.size ?? 0,
        ttlMs: deps.config.cacheTtlMs,
        staleLimitMs: deps.config.staleLimitMs,
        reads: deps.store.reads,
      },
      overrides: {
        keys: [...deps.config.overrides.keys()].sort(),
        invalid: deps.config.invalidOverrides,
      },
    });
  }

  async function ofrepFlag(request: Request, rawKey: string): Promise<Response> {
    const key = validateFlagKey(rawKey);
    if (!key.ok) return respond(404, { key: rawKey.slice(0, 200), errorCode: "FLAG_NOT_FOUND", errorDetails: key.error });
    const bodyText = await readBody(request);
    const parsed = parseOfrepRequest(bodyText);
    if (parsed.failure) {
      const { status, ...failure } = parsed.failure;
      return respond(status, { key: key.value, ...failure });
    }
    const snapshot = await deps.store.snapshot();
    const evaluation = evaluateKey(snapshot, deps.config.overrides, key.value, parsed.subject);
    if (!evaluation) return respond(404, { key: key.value, errorCode: "FLAG_NOT_FOUND", errorDetails: `there is no flag ${key.value}` });
    return answer(ofrepFlagJson(evaluation, snapshot), snapshot.state);
  }

  async function ofrepBulk(request: Request): Promise<Response> {
    const bodyText = await readBody(request);
    const parsed = parseOfrepRequest(bodyText);
    if (parsed.failure) {
      const { status, ...failure } = parsed.failure;
      return respond(status, failure);
    }
    const snapshot = await deps.store.snapshot();
    const evaluations = evaluateAll(snapshot, deps.config.overrides, parsed.subject);
    // The ETag covers the answers, not the cache age, so an unchanged answer is a 304.
    const etag = etagOf(`[${evaluations.map((e) => ofrepFlagJson(e, snapshot, false)).join(",")}]`);
    const headers = { ETag: etag, "X-Flags-Source": snapshot.state };
    if (ifNoneMatchHits(request.headers.get("If-None-Match"), etag)) return respond(304, null, headers);
    const flags = evaluations.map((e) => ofrepFlagJson(e, snapshot)).join(",");
    return new Response(`{"flags":[${flags}]}`, { status: 200, headers: { ...JSON_HEADERS, ...headers } });
  }

  // CORS headers go on answers to browsers, which always send Origin on a cross-origin request
  // (supabase-js from a web page included); server-side callers skip the cost. A preflight
  // always gets them (dispatch answers it with the CORS headers alone). Answers are no-store, so
  // no cache can hand one made without them to a browser.
  const withCors = (request: Request, response: Response): Response => {
    if (request.headers.has("origin")) for (const [name, value] of corsEntries) response.headers.set(name, value);
    return response;
  };

  return async function handle(request: Request, given?: RequestTarget): Promise<Response> {
    // Read once: the route comes from its pathname, the subject from its query.
    const target = given ?? targetOf(request.url);
    const route = routeOf(request.method, target.pathname);
    try {
      const response = await dispatch(request, target, route);
      return route.kind === "preflight" ? response : withCors(request, response);
    } catch (cause) {
      log(`feature-flags: unexpected error on ${request.method} ${target.pathname}: ${cause instanceof Error ? cause.stack : String(cause)}`);
      return withCors(request, error("internal_error", "unexpected error; the function's log has the details"));
    }
  };
}

/** The body as text, or null when it is over MAX_BODY_BYTES or cannot be read. */
async function readBody(request: Request): Promise<string | null> {
  const body = await readBodyWithin(request, MAX_BODY_BYTES);
  return body.ok ? body.text : null;
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
