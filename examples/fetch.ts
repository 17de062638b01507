// App code, plain fetch: is DLQ_ENABLED on for this tenant?
//
//   SUPABASE_URL=http://127.0.0.1:54321 SUPABASE_PUBLISHABLE_KEY=sb_publishable_... \
//     npx tsx examples/fetch.ts tenant-42
//
// The same code works against a hosted project (SUPABASE_URL=https://<ref>.supabase.co).
import { pathToFileURL } from "node:url";

export interface FlagAnswer {
  key: string;
  value: boolean;
  reason: string;
  bucket: number;
}

/** A flag lookup never breaks the caller: on any failure the feature is off. */
export async function isFlagOn(options: { supabaseUrl: string; apiKey: string; flag: string; subject: string }): Promise<boolean> {
  try {
    const url = new URL(`${options.supabaseUrl}/functions/v1/feature-flags/${encodeURIComponent(options.flag)}`);
    url.searchParams.set("subject", options.subject);
    const response = await fetch(url, { headers: { apikey: options.apiKey }, signal: AbortSignal.timeout(3_000) });
    if (!response.ok) return false;
    const answer = (await response.json()) as FlagAnswer;
    return answer.value === true;
  } catch {
    return false;
  }
}

/** Every flag for one subject, e.g. once per request. */
export async function allFlags(options: { supabaseUrl: string; apiKey: string; subject: string }): Promise<Record<string, FlagAnswer>> {
  const url = new URL(`${options.supabaseUrl}/functions/v1/feature-flags`);
  url.searchParams.set("subject", options.subject);
  const response = await fetch(url, { headers: { apikey: options.apiKey } });
  if (!response.ok) throw new Error(`feature-flags answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { flags: Record<string, FlagAnswer> }).flags;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const supabaseUrl = process.env.SUPABASE_URL ?? "http://127.0.0.1:54321";
  const apiKey = process.env.SUPABASE_PUBLISHABLE_KEY;
  if (!apiKey) throw new Error("set SUPABASE_PUBLISHABLE_KEY (npm start prints it)");
  const subject = process.argv[2] ?? "tenant-42";
  console.log(`DLQ_ENABLED for ${subject}:`, await isFlagOn({ supabaseUrl, apiKey, flag: "DLQ_ENABLED", subject }));
  console.log(await allFlags({ supabaseUrl, apiKey, subject }));
}
