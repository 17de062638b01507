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

export function routeOf(method: string, pathname: string): Route {
  if (method === "OPTIONS") return { kind: "preflight" };
  const segments = pathname.split("/").filter((segment) => segment !== "");
  if (segments[0] !== FUNCTION_NAME) return { kind: "not_found" };
  const rest = segments.slice(1).map(decodeSegment);
  const allowOnly = (allowed: string[], route: Route): Route =>
    allowed.includes(method) || (method === "HEAD" && allowed.includes("GET")) ? route : { kind: "method_not_allowed", allow: [...allowed, "OPTIONS"] };

  if (rest.length === 0) return allowOnly(["GET"], { kind: "list" });
  if (OFREP_FLAGS.every((segment, i) => rest[i] === segment)) {
    if (rest.length === OFREP_FLAGS.length) return allowOnly(["POST"], { kind: "ofrep_bulk" });
    if (rest.length === OFREP_FLAGS.length + 1) return allowOnly(["POST"], { kind: "ofrep_flag", key: rest[OFREP_FLAGS.length]! });
    return { kind: "not_found" };
  }
  if (rest.length !== 1) return { kind: "not_found" };
  const [segment] = rest as [string];
  if (segment === "health") return allowOnly(["GET"], { kind: "health" });
  if (method === "PATCH") return { kind: "update_flag", key: segment };
  return allowOnly(["GET", "PATCH"], { kind: "get_flag", key: segment });
}

/** A path segment as written by the caller; a malformed %-escape is kept raw (and fails validation). */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
