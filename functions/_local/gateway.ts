// A local stand-in for the Supabase API gateway's /functions/v1 routing, used by `npm start` and
// the HTTP tests: http://127.0.0.1:54321/functions/v1/feature-flags/... reaches the function with
// the pathname /feature-flags/..., exactly as on a hosted project. It is routing only: the
// function does its own auth (verify_jwt = false in supabase/config.toml), as when hosted.
// Not deployed: folders starting with _ are not functions.

import featureFlags from "../feature-flags/index.ts";

const PREFIX = "/functions/v1";
// Methods the Fetch API refuses to put in a Request (new Request throws on them): answered here.
const FORBIDDEN_METHODS = new Set(["CONNECT", "TRACE", "TRACK"]);

export default {
  fetch(request: Request): Response | Promise<Response> {
    const url = new URL(request.url);
    if (FORBIDDEN_METHODS.has(request.method.toUpperCase())) {
      return Response.json({ error: { code: "method_not_allowed", message: `${request.method} is not served` } }, { status: 405, headers: { Allow: "GET, PATCH, POST, OPTIONS" } });
    }
    if (url.pathname !== PREFIX && !url.pathname.startsWith(`${PREFIX}/`)) {
      return Response.json({ error: { code: "route_not_found", message: `functions are served under ${PREFIX}/<name>` } }, { status: 404 });
    }
    const name = url.pathname.slice(PREFIX.length).split("/")[1];
    if (name !== "feature-flags") {
      return Response.json({ error: { code: "route_not_found", message: `no function ${JSON.stringify(name ?? "")}: only feature-flags is served` } }, { status: 404 });
    }
    url.pathname = url.pathname.slice(PREFIX.length);
    // A new request rather than `new Request(url, request)`, which would tie it to the incoming
    // request's abort signal (Deno warns about its legacy semantics).
    const hasBody = request.method !== "GET" && request.method !== "HEAD";
    return featureFlags.fetch(new Request(url, { method: request.method, headers: request.headers, body: hasBody ? request.body : null }));
  },
};
