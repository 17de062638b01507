// App code with @supabase/supabase-js: supabase.functions.invoke('feature-flags', ...).
//
//   SUPABASE_URL=http://127.0.0.1:54321 SUPABASE_PUBLISHABLE_KEY=sb_publishable_... \
//     npx tsx examples/supabase-js.ts tenant-42
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { pathToFileURL } from "node:url";

/**
 * createClient for code that only calls functions. supabase-js builds its realtime client even
 * when unused, and on Node 20 (no global WebSocket) that throws unless a transport is given
 * (`npm install ws` and pass it, if you use realtime). On Node 22+, Deno, Bun and browsers this is
 * plain createClient(url, key).
 */
export function createFunctionsClient(supabaseUrl: string, key: string): SupabaseClient {
  if (typeof globalThis.WebSocket !== "undefined") return createClient(supabaseUrl, key);
  class RealtimeNotUsed {
    constructor() {
      throw new Error("realtime is not set up in this client: pass `realtime: { transport: ws }` to createClient");
    }
  }
  return createClient(supabaseUrl, key, { realtime: { transport: RealtimeNotUsed as never } });
}

interface FlagAnswer {
  key: string;
  value: boolean;
  reason: string;
  bucket: number;
}

/** One flag for one subject; off when the lookup fails (a flag lookup never breaks the caller). */
export async function isFlagOn(supabase: SupabaseClient, flag: string, subject: string): Promise<boolean> {
  const { data, error } = await supabase.functions.invoke<FlagAnswer>(
    `feature-flags/${encodeURIComponent(flag)}?subject=${encodeURIComponent(subject)}`,
    { method: "GET" },
  );
  if (error || !data) return false;
  return data.value === true;
}

/** Every flag for one subject. */
export async function allFlags(supabase: SupabaseClient, subject: string): Promise<Record<string, FlagAnswer>> {
  const { data, error } = await supabase.functions.invoke<{ flags: Record<string, FlagAnswer> }>(
    `feature-flags?subject=${encodeURIComponent(subject)}`,
    { method: "GET" },
  );
  if (error) throw error;
  return data!.flags;
}

/** Operators (server side, secret key only): roll a flag out to a percentage. */
export async function setRollout(admin: SupabaseClient, flag: string, change: { enabled?: boolean; rollout_percentage?: number }) {
  const { data, error } = await admin.functions.invoke(`feature-flags/${encodeURIComponent(flag)}`, { method: "PATCH", body: change });
  if (error) throw error;
  return data;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const supabaseUrl = process.env.SUPABASE_URL ?? "http://127.0.0.1:54321";
  const key = process.env.SUPABASE_PUBLISHABLE_KEY;
  if (!key) throw new Error("set SUPABASE_PUBLISHABLE_KEY (npm start prints it)");
  const supabase = createFunctionsClient(supabaseUrl, key);
  const subject = process.argv[2] ?? "tenant-42";
  console.log(`DLQ_ENABLED for ${subject}:`, await isFlagOn(supabase, "DLQ_ENABLED", subject));
  console.log(await allFlags(supabase, subject));
}
