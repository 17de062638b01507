// cors.ts: the function's CORS headers are supabase-js's canonical ones (written out in cors.ts,
// so the function's start imports no npm package), plus OFREP's If-None-Match and ETag.
import { corsHeaders } from "@supabase/supabase-js/cors";
import { describe, expect, it } from "vitest";
import { SUPABASE_CORS_HEADERS, corsHeadersFor } from "../../../functions/feature-flags/cors.ts";

describe("CORS headers", () => {
  it("SUPABASE_CORS_HEADERS are the installed @supabase/supabase-js/cors headers", () => {
    expect(SUPABASE_CORS_HEADERS).toEqual(corsHeaders);
  });

  it("the function allows every header supabase-js sends, and If-None-Match; exposes ETag", () => {
    const headers = corsHeadersFor(SUPABASE_CORS_HEADERS);
    const allowed = headers["Access-Control-Allow-Headers"]!.split(", ");
    for (const header of (corsHeaders["Access-Control-Allow-Headers"] ?? "").split(",")) expect(allowed).toContain(header.trim().toLowerCase());
    expect(allowed).toContain("if-none-match");
    expect(headers["Access-Control-Expose-Headers"]).toContain("etag");
    expect(headers["Access-Control-Allow-Origin"]).toBe("*");
  });
});
