// Which endpoint a request is for, from its method and pathname alone. Hosted Supabase hands the
// function the pathname `/feature-flags/...` (the /functions/v1 prefix is the gateway's).
//
//   GET    /feature-flags                                   every flag for ?subject=
//   GET    /feature-flags/health                            database reachable, cache age
//   GET    /feature-flags/<KEY>                             one flag for ?subject=
//   PATCH  /feature-flags/<KEY>                             set enabled / rollout_percentage
//   POST   /feature-flags/ofrep/v1/evaluate/flags           OFREP bulk evaluation
//   POST   /feature-flags/ofrep/v1/evaluate/flags/<KEY>     OFREP single evaluation
//   OPTIONS anything                                        CORS preflight

export const FUNCTION_NAME = "feature-flags";

export type Route =
  | { kind: "preflight" }
  | { kind: "list" }
  | { kind: "health" }
  | { kind: "get_flag"; key: string }
  | { kind: "update_flag"; key: string }
  | { kind: "ofrep_bulk" }
  | { kind: "ofrep_flag"; key: string }
  | { kind: "method_not_allowed"; allow: string[] }
  | { kind: "not_found" };

const OFREP_FLAGS = ["ofrep", "v1", "evaluate", "flags"];
// Built once: routing runs on every request, and allocating these per call showed in profiles.
const GET_ONLY: readonly string[] = ["GET"];
const POST_ONLY: readonly string[] = ["POST"];
const GET_OR_PATCH: readonly string[] = ["GET", "PATCH"];
const PREFLIGHT: Route = { kind: "preflight" };
const NOT_FOUND: Route = { kind: "not_found" };
const LIST: Route = { kind: "list" };
const HEALTH: Route = { kind: "health" };
const OFREP_BULK: Route = { kind: "ofrep_bulk" };

function allowOnly(method: string, allowed: readonly string[], route: Route): Route {
  return allowed.includes(method) || (method === "HEAD" && allowed.includes("GET")) ? route : { kind: "method_not_allowed", allow: [...allowed, "OPTIONS"] };
}

/** `/feature-flags/<one plain segment>`: a single-flag lookup's path, recognized without splitting. */
const SINGLE_SEGMENT = /^\/feature-flags\/([A-Za-z0-9_.~-]+)$/;
const LIST_PATH = `/${FUNCTION_NAME}`;
const OFREP_BULK_PATH = `/${FUNCTION_NAME}/${OFREP_FLAGS.join("/")}`;
/** OFREP's single-flag path with one plain segment (nothing to decode) after the bulk path. */
const OFREP_SINGLE_SEGMENT = /^\/feature-flags\/ofrep\/v1\/evaluate\/flags\/([A-Za-z0-9_.~-]+)$/;

export function routeOf(method: string, pathname: string): Route {
  if (method === "OPTIONS") return PREFLIGHT;
  // The lookups' paths as written by every client are recognized without splitting the path:
  // each gives the route routeBySegments gives for it (tests/unit/flags-function/routes.test.ts).
  if (method === "GET") {
    const single = SINGLE_SEGMENT.exec(pathname);
    if (single !== null && single[1] !== "health") return { kind: "get_flag", key: single[1]! };
  }
  if (pathname === LIST_PATH) return allowOnly(method, GET_ONLY, LIST);
  if (pathname.startsWith(OFREP_BULK_PATH)) {
    if (pathname.length === OFREP_BULK_PATH.length) return allowOnly(method, POST_ONLY, OFREP_BULK);
    const single = OFREP_SINGLE_SEGMENT.exec(pathname);
    if (single !== null) return allowOnly(method, POST_ONLY, { kind: "ofrep_flag", key: single[1]! });
  }
  return routeBySegments(method, pathname);
}

/** The route from the path's segments, %-decoded: every path, including the odd ones (`//`, `%41`, a trailing `/`). */
export function routeBySegments(method: string, pathname: string): Route {
  if (method === "OPTIONS") return PREFLIGHT;
  const rest: string[] = [];
  let first = true;
  for (const segment of pathname.split("/")) {
    if (segment === "") continue;
    if (first) {
      if (segment !== FUNCTION_NAME) return NOT_FOUND;
      first = false;
    } else rest.push(decodeSegment(segment));
  }
  if (first) return NOT_FOUND;

  if (rest.length === 0) return allowOnly(method, GET_ONLY, LIST);
  if (rest[0] === OFREP_FLAGS[0] && rest[1] === OFREP_FLAGS[1] && rest[2] === OFREP_FLAGS[2] && rest[3] === OFREP_FLAGS[3]) {
    if (rest.length === OFREP_FLAGS.length) return allowOnly(method, POST_ONLY, OFREP_BULK);
    if (rest.length === OFREP_FLAGS.length + 1) return allowOnly(method, POST_ONLY, { kind: "ofrep_flag", key: rest[OFREP_FLAGS.length]! });
    return NOT_FOUND;
  }
  if (rest.length !== 1) return NOT_FOUND;
  const [segment] = rest as [string];
  if (segment === "health") return allowOnly(method, GET_ONLY, HEALTH);
  if (method === "PATCH") return { kind: "update_flag", key: segment };
  return allowOnly(method, GET_OR_PATCH, { kind: "get_flag", key: segment });
}

/** A path segment as written by the caller; a malformed %-escape is kept raw (and fails validation). */
function decodeSegment(segment: string): string {
  if (!segment.includes("%")) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
