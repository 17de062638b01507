// A local stand-in for the Supabase API gateway's /functions/v1 routing, used by `npm start` and
// the HTTP tests: http://127.0.0.1:54321/functions/v1/feature-flags/... reaches the function with
// the pathname /feature-flags/..., exactly as on a hosted project. It is routing only: the
// function does its own auth (verify_jwt = false in supabase/config.toml), as when hosted.
// Not deployed: folders starting with _ are not functions.
//
// The request is handed on as it is, with the pathname the function sees passed beside it, rather
// than copied into a new Request: a copy (URL, headers, body stream) cost about a third of a lookup.

import { handle } from "../feature-flags/index.ts";
import { targetOf } from "../feature-flags/request-target.ts";

const PREFIX = "/functions/v1";
const FUNCTION_PATH = "/feature-flags";

export default {
  fetch(request: Request): Response | Promise<Response> {
    const { pathname, query } = targetOf(request.url);
    if (pathname !== PREFIX && !pathname.startsWith(`${PREFIX}/`)) {
      return Response.json({ error: { code: "route_not_found", message: `functions are served under ${PREFIX}/<name>` } }, { status: 404 });
    }
    const rest = pathname.slice(PREFIX.length);
    if (rest !== FUNCTION_PATH && !rest.startsWith(`${FUNCTION_PATH}/`)) {
      const name = rest.split("/")[1];
      return Response.json({ error: { code: "route_not_found", message: `no function ${JSON.stringify(name ?? "")}: only feature-flags is served` } }, { status: 404 });
    }
    return handle(request, { pathname: rest, query });
  },
};
