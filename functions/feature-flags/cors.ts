// CORS as supabase-js expects: its canonical headers, plus what OFREP's web providers send and
// read (If-None-Match, ETag).
//
// The canonical headers are @supabase/supabase-js/cors's, written out here rather than imported:
// importing any npm: package makes Deno set up its npm resolution at start, about 8 ms of the
// function's cold start for three header lines. tests/unit/flags-function/cors.test.ts keeps them
// equal to the installed supabase-js's, so an upgrade that adds a header fails there.

/** @supabase/supabase-js/cors's corsHeaders (2.109.0). */
export const SUPABASE_CORS_HEADERS: Readonly<Record<string, string>> = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Headers": "authorization, x-client-info, apikey, content-type, x-retry-count",
  "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
};

export function corsHeadersFor(supabaseCors: Readonly<Record<string, string>>): Record<string, string> {
  const headers = { ...supabaseCors };
  const allowHeaders = (headers["Access-Control-Allow-Headers"] ?? "authorization, x-client-info, apikey, content-type")
    .split(",")
    .map((header) => header.trim().toLowerCase());
  if (!allowHeaders.includes("if-none-match")) allowHeaders.push("if-none-match");
  headers["Access-Control-Allow-Headers"] = allowHeaders.join(", ");
  headers["Access-Control-Expose-Headers"] = "etag";
  headers["Access-Control-Max-Age"] = "86400";
  return headers;
}
