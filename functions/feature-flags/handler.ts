// The feature-flags function as a Request -> Response handler. Everything it needs is passed in
// (index.ts wires the real postgres.js, @supabase/server and environment), so the same handler
// runs in Deno and, for in-process tests, in Node.

import { validateFlagKey, validateSubject } from "../_shared/rollout.ts";
import type { Authenticator, Caller } from "./auth.ts";
import type { FunctionConfig } from "./config.ts";
import { corsHeadersFor } from "./cors.ts";
import { ERROR_STATUS, fail, type ApiError, type ApiResult } from "./errors.ts";
import { listAnswerJson, ofrepBulkJson, ofrepFlagJson, singleAnswerJson } from "./answers.ts";
import { evaluateAll, evaluateKey, sourceReport } from "./evaluate.ts";
import type { FlagDatabase } from "./flag-database.ts";
import type { FlagCache, FlagSnapshot } from "./flag-cache.ts";
import { parseFlagChange } from "./flag-update.ts";
import { ifNoneMatchHits, ofrepErrorAnswer, parseOfrepRequest, type OfrepError } from "./ofrep.ts";
import { queryParam, targetOf, type RequestTarget } from "./request-target.ts";
import { readBodyWithin, type BodyRead } from "./request-body.ts";
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

// No charset: JSON is UTF-8, and its media type defines no such parameter (RFC 8259, section 11).
const JSON_CONTENT_TYPE = "application/json";

/** Bodies larger than this are refused, by Content-Length or while streaming (flag requests are tiny). */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * `target`: the pathname and query the function sees, when they are not the request URL's (the
 * local gateway strips its /functions/v1 prefix this way instead of copying the request).
 */
export type Handler = (request: Request, target?: RequestTarget) => Response | Promise<Response>;

export function createHandler(deps: HandlerDependencies): Handler {
  const cors = corsHeadersFor(deps.supabaseCors);
  const log = deps.log ?? ((message: string) => console.error(message));

  const corsEntries = Object.entries(cors);
  // Built once: spreading a dozen headers into every answer was a measurable share of a lookup.
  const JSON_HEADERS: Readonly<Record<string, string>> = { "Content-Type": JSON_CONTENT_TYPE, "Cache-Control": "no-store" };
  const EMPTY_HEADERS: Readonly<Record<string, string>> = { "Cache-Control": "no-store" };
  const respond = (status: number, body: unknown, headers?: Record<string, string>) => {
    const base = body === null ? EMPTY_HEADERS : JSON_HEADERS;
    return new Response(body === null ? null : JSON.stringify(body), { status, headers: headers ? { ...base, ...headers } : base });
  };
  // Lookup answers: JSON text (answers.ts) with headers built once, with and without CORS (a
  // browser's request carries Origin), instead of headers set per answer. A plain object: Deno
  // turns it into the response's headers faster than an array or a Headers object. Each header
  // costs every lookup (about 0.8 µs, a tenth of one), so an answer carries only what it needs:
  // where its flags came from is in its body (`source`, OFREP's `metadata.source`).
  // OFREP's answers are to POSTs, which no cache stores unless the answer says it may (explicit
  // freshness and a Content-Location naming the request's URI: RFC 9110, section 9.3.3), so they
  // go without Cache-Control: a header less on every OFREP lookup, and the every-flag answer of a
  // project with two flags stays within the 512 bytes Deno writes at the lower cost.
  const POST_ANSWER_HEADERS: Readonly<Record<string, string>> = { "Content-Type": JSON_CONTENT_TYPE };
  const answerWith = (headers: Readonly<Record<string, string>>) => {
    const lists = { plain: headers, cors: { ...headers, ...cors } };
    return (json: string, browser: boolean) => new Response(json, { status: 200, headers: browser ? lists.cors : lists.plain });
  };
  const answer = answerWith(JSON_HEADERS);
  const postAnswer = answerWith(POST_ANSWER_HEADERS);
  const error = (apiError: ApiError, headers?: Record<string, string>) =>
    respond(ERROR_STATUS[apiError.code], { error: apiError satisfies ApiError }, headers);
  const ofrepError = (failure: OfrepError, key?: string) => {
    const { status, body } = ofrepErrorAnswer(failure, key);
    return respond(status, body);
  };
  // The flags to serve: without waiting when no read is due (every lookup but one per TTL), so a
  // lookup runs to its answer synchronously.
  const withFlags = (answerWith: (flags: FlagSnapshot) => Response): Response | Promise<Response> => {
    const current = deps.store.current();
    return current !== null ? answerWith(current) : deps.store.snapshot().then(answerWith);
  };

  function dispatch(request: Request, target: RequestTarget, route: Route, browser: boolean): Response | Promise<Response> {
    switch (route.kind) {
      case "preflight":
        return new Response(null, { status: 204, headers: cors });
      case "not_found":
        return error(NO_ROUTE);
      case "method_not_allowed":
        return error({ code: "method_not_allowed", message: `use ${route.allow.join(", ")}` }, { Allow: route.allow.join(", ") });
      case "update_flag":
        return deps.auth.writer(request).then((caller) => (caller.error ? error(caller.error) : updateFlag(request, route.key, caller.data)));
    }
    const caller = deps.auth.reader(request);
    return caller instanceof Promise ? caller.then((c) => serveRead(request, target, route, browser, c)) : serveRead(request, target, route, browser, caller);
  }

  function serveRead(request: Request, target: RequestTarget, route: Route, browser: boolean, caller: ApiResult<Caller>): Response | Promise<Response> {
    if (caller.error) return error(caller.error);
    switch (route.kind) {
      case "list":
        return listFlags(target, browser);
      case "get_flag":
        return getFlag(target, route.key, browser);
      case "health":
        return health(caller.data);
      case "ofrep_flag":
        return ofrepFlag(request, route.key, browser);
      case "ofrep_bulk":
        return ofrepBulk(request);
    }
    throw new Error(`route ${route.kind} reached the readers' routes`);
  }

  function subjectOf(target: RequestTarget): ApiResult<string> {
    const subject = validateSubject(queryParam(target.query, "subject"));
    return subject.error === null ? subject : fail("invalid_subject", subject.error);
  }

  function flagKeyOf(rawKey: string): ApiResult<string> {
    const key = validateFlagKey(rawKey);
    return key.error === null ? key : fail("invalid_flag_key", key.error);
  }

  function listFlags(target: RequestTarget, browser: boolean): Response | Promise<Response> {
    const subject = subjectOf(target);
    if (subject.error) return error(subject.error);
    return withFlags((flags) => {
      const evaluations = evaluateAll(flags, deps.config.overrides, subject.data);
      return answer(listAnswerJson(evaluations, subject.data, flags), browser);
    });
  }

  function getFlag(target: RequestTarget, rawKey: string, browser: boolean): Response | Promise<Response> {
    const key = flagKeyOf(rawKey);
    if (key.error) return error(key.error);
    const subject = subjectOf(target);
    if (subject.error) return error(subject.error);
    return withFlags((flags) => {
      const evaluation = evaluateKey(flags, deps.config.overrides, key.data, subject.data);
      if (!evaluation) return error(flagNotFound(key.data));
      return answer(singleAnswerJson(evaluation, subject.data, flags), browser);
    });
  }

  async function updateFlag(request: Request, rawKey: string, caller: Caller): Promise<Response> {
    const key = flagKeyOf(rawKey);
    if (key.error) return error(key.error);
    const body = await readBody(request);
    if (body.error) return error({ code: "invalid_body", message: `the body must be at most ${MAX_BODY_BYTES} bytes` });
    const change = parseFlagChange(body.data);
    if (change.error) return error(change.error);
    const result = await deps.database.updateFlag(key.data, change.data, caller.actor);
    if (result.outcome === "not_found") return error(flagNotFound(key.data));
    if (result.outcome === "not_applied") {
      log(`feature-flags: updating ${key.data} was not applied: ${result.reason}`);
      return error({ code: "database_unavailable", message: `the flag was not changed: ${result.reason}` });
    }
    if (result.outcome === "unknown") {
      log(`feature-flags: updating ${key.data}: outcome unknown: ${result.reason}`);
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
    const override = deps.config.overrides.get(key.data);
    return respond(200, {
      flag,
      actor: caller.actor,
      ...(override ? { warning: `FEATURE_FLAG_${key.data} is set in this function's environment and takes precedence over the table` } : {}),
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
    const flags = await deps.store.snapshot();
    // The database's own error, like the ping's above, for an operator only.
    const source = sourceReport(flags, caller.mode === "secret");
    const status = flags.state === "unavailable"
      ? "unavailable"
      : databaseError || flags.state === "stale" || deps.config.invalidOverrides.length > 0
      ? "degraded"
      : "ok";
    return respond(status === "unavailable" ? 503 : 200, {
      status,
      database: { reachable: databaseError === null, ...(databaseError ? { error: databaseError } : {}) },
      cache: {
        ...source,
        stale: flags.state !== "fresh",
        flagCount: flags.flags?.size ?? 0,
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

  async function ofrepFlag(request: Request, rawKey: string, browser: boolean): Promise<Response> {
    const key = validateFlagKey(rawKey);
    if (key.error !== null) return ofrepError({ errorCode: "FLAG_NOT_FOUND", errorDetails: key.error }, rawKey.slice(0, 200));
    const subject = parseOfrepRequest(await readBody(request));
    if (subject.error) return ofrepError(subject.error, key.data);
    return withFlags((flags) => {
      const evaluation = evaluateKey(flags, deps.config.overrides, key.data, subject.data);
      if (!evaluation) return ofrepError({ errorCode: "FLAG_NOT_FOUND", errorDetails: flagNotFound(key.data).message }, key.data);
      return postAnswer(ofrepFlagJson(evaluation, flags), browser);
    });
  }

  async function ofrepBulk(request: Request): Promise<Response> {
    const subject = parseOfrepRequest(await readBody(request));
    if (subject.error) return ofrepError(subject.error);
    return withFlags((flags) => {
      // The ETag covers the answers, not the cache age, so an unchanged answer is a 304.
      const { body, etag } = ofrepBulkJson(evaluateAll(flags, deps.config.overrides, subject.data), flags);
      if (ifNoneMatchHits(request.headers.get("If-None-Match"), etag)) return new Response(null, { status: 304, headers: { ETag: etag } });
      // POST_ANSWER_HEADERS's, then the tag, written out: one object, no spreading.
      return new Response(body, { status: 200, headers: { "Content-Type": JSON_CONTENT_TYPE, ETag: etag } });
    });
  }

  // CORS headers go on answers to browsers, which always send Origin on a cross-origin request
  // (supabase-js from a web page included); server-side callers skip the cost. A preflight
  // always gets them (dispatch answers it with the CORS headers alone); lookup answers carry
  // them in their prebuilt header lists. No cache can hand an answer made without them to a
  // browser: answers to GETs are no-store, and answers to POSTs are never stored.
  const withCors = (response: Response): Response => {
    for (const [name, value] of corsEntries) response.headers.set(name, value);
    return response;
  };
  const LOOKUPS: ReadonlySet<Route["kind"]> = new Set(["list", "get_flag", "ofrep_flag"]);

  const failed = (request: Request, target: RequestTarget, browser: boolean, cause: unknown): Response => {
    log(`feature-flags: unexpected error on ${request.method} ${target.pathname}: ${cause instanceof Error ? cause.stack : String(cause)}`);
    const response = error({ code: "internal_error", message: "unexpected error; the function's log has the details" });
    return browser ? withCors(response) : response;
  };

  // Synchronous when the answer is (a lookup with a remembered credential and current flags).
  return function handle(request: Request, given?: RequestTarget): Response | Promise<Response> {
    // Read once: the route comes from its pathname, the subject from its query.
    const target = given ?? targetOf(request.url);
    const route = routeOf(request.method, target.pathname);
    const browser = request.headers.has("origin");
    // A lookup's 200 has its CORS headers already; anything else gets them here.
    const finish = (response: Response) =>
      !browser || route.kind === "preflight" || (response.status === 200 && LOOKUPS.has(route.kind)) ? response : withCors(response);
    let response: Response | Promise<Response>;
    try {
      response = dispatch(request, target, route, browser);
    } catch (cause) {
      return failed(request, target, browser, cause);
    }
    if (response instanceof Promise) return response.then(finish, (cause) => failed(request, target, browser, cause));
    return finish(response);
  };
}

function flagNotFound(key: string): ApiError {
  return { code: "flag_not_found", message: `there is no flag ${key}` };
}

const NO_ROUTE: ApiError = {
  code: "route_not_found",
  message: "no such endpoint: see GET /feature-flags, /feature-flags/<KEY>, /feature-flags/health and /feature-flags/ofrep/v1/evaluate/flags",
};

/** The body as text, or why not (over MAX_BODY_BYTES, or unreadable). */
function readBody(request: Request): Promise<BodyRead> {
  return readBodyWithin(request, MAX_BODY_BYTES);
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
