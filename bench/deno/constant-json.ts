// Baseline: a bare Deno.serve handler answering every request with the same JSON body, given in
// BENCH_BODY at start (the runner passes one of the size of a real flag response).
const body = Deno.env.get("BENCH_BODY") ?? "{}";
const headers = { "content-type": "application/json" };

export default {
  fetch(): Response {
    return new Response(body, { headers });
  },
} satisfies Deno.ServeDefaultExport;
