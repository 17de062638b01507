// App code with OpenFeature: the server SDK and its OFREP provider, unchanged, pointed at the
// function. The evaluation context's targetingKey is the rollout subject.
//
//   SUPABASE_URL=http://127.0.0.1:54321 SUPABASE_PUBLISHABLE_KEY=sb_publishable_... \
//     npx tsx examples/openfeature.ts tenant-42
import { OFREPProvider } from "@openfeature/ofrep-provider";
import { OpenFeature, type Client } from "@openfeature/server-sdk";
import { pathToFileURL } from "node:url";

/** Registers the OFREP provider for the feature-flags function and returns a client. */
export async function openFeatureClient(supabaseUrl: string, apiKey: string, domain = "feature-flags"): Promise<Client> {
  const provider = new OFREPProvider({
    // The provider appends /ofrep/v1/evaluate/flags/<key> to this.
    baseUrl: `${supabaseUrl}/functions/v1/feature-flags`,
    headers: { apikey: apiKey },
  });
  await OpenFeature.setProviderAndWait(domain, provider);
  return OpenFeature.getClient(domain);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const supabaseUrl = process.env.SUPABASE_URL ?? "http://127.0.0.1:54321";
  const key = process.env.SUPABASE_PUBLISHABLE_KEY;
  if (!key) throw new Error("set SUPABASE_PUBLISHABLE_KEY (npm start prints it)");
  const client = await openFeatureClient(supabaseUrl, key);
  const subject = process.argv[2] ?? "tenant-42";
  // false is the default the SDK returns when the lookup fails.
  const details = await client.getBooleanDetails("DLQ_ENABLED", false, { targetingKey: subject });
  console.log(details);
  await OpenFeature.close();
}
