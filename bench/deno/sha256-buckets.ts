// Scale reference from the issue: a Deno handler that computes two SHA-256 buckets per request
// with node:crypto (one per flag) for the subject in the query string, and answers JSON.
import { createHash } from "node:crypto";

const FLAGS = ["DLQ_ENABLED", "JOB_HEARTBEAT"];
const headers = { "content-type": "application/json" };

function bucketOf(group: string, subject: string): number {
  return createHash("sha256").update(`${group}:${subject}`).digest().readUInt32BE(0) % 10_000;
}

export default {
  fetch(request: Request): Response {
    const subject = new URL(request.url).searchParams.get("subject") ?? "";
    const flags = FLAGS.map((key) => {
      const bucket = bucketOf(key, subject);
      return { key, value: bucket < 500, bucket };
    });
    return new Response(JSON.stringify({ subject, flags }), { headers });
  },
} satisfies Deno.ServeDefaultExport;
