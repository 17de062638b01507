// CORS as supabase-js expects: its canonical headers (from @supabase/supabase-js/cors, passed
// in by index.ts), plus what OFREP's web providers send and read (If-None-Match, ETag).

export function corsHeadersFor(supabaseCors: Readonly<Record<string, string>>): Record<string, string> {
  const headers = { ...supabaseCors };
  const allowHeaders = (headers["Access-Control-Allow-Headers"] ?? "authorization, x-client-info, apikey, content-type")
    .split(",")
    .map((header) => header.trim().toLowerCase());
  if (!allowHeaders.includes("if-none-match")) allowHeaders.push("if-none-match");
  headers["Access-Control-Allow-Headers"] = allowHeaders.join(", ");
  headers["Access-Control-Expose-Headers"] = "etag, x-flags-source";
  headers["Access-Control-Max-Age"] = "86400";
  return headers;
}
