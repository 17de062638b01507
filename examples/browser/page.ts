// The browser example's page: reads a flag with supabase-js and with OpenFeature's web SDK (OFREP web
// provider), both pointed at the feature-flags function with the publishable key. The project URL,
// the key, the subject and the poll interval come from the page's query string, so nothing about a
// project is built into the page: ?url=http://127.0.0.1:54321&key=sb_publishable_...&subject=tenant-42
import { OFREPWebProvider } from "@openfeature/ofrep-web-provider";
import { OpenFeature, ProviderEvents } from "@openfeature/web-sdk";
import { createClient } from "@supabase/supabase-js";

const FLAG = "DLQ_ENABLED";
const params = new URLSearchParams(location.search);
const supabaseUrl = params.get("url") ?? "http://127.0.0.1:54321";
const publishableKey = params.get("key") ?? "";
const subject = params.get("subject") ?? "tenant-42";
const pollInterval = Number(params.get("poll") ?? 30_000);

function show(id: string, text: string, failed = false): void {
  const output = document.getElementById(id)!;
  output.textContent = text;
  output.classList.toggle("error", failed);
}

/** supabase-js: the function's own JSON answer for one flag and one subject. */
async function readWithSupabaseJs(): Promise<void> {
  const supabase = createClient(supabaseUrl, publishableKey);
  const { data, error } = await supabase.functions.invoke(`feature-flags/${FLAG}?subject=${encodeURIComponent(subject)}`, { method: "GET" });
  if (error) show("invoke", `error: ${error.message}`, true);
  else show("invoke", JSON.stringify({ value: data.value, reason: data.reason }));
}

/** OpenFeature: the OFREP web provider evaluates every flag for the context in one bulk request. */
async function readWithOpenFeature(): Promise<void> {
  const provider = new OFREPWebProvider({
    baseUrl: `${supabaseUrl}/functions/v1/feature-flags`,
    headers: [["apikey", publishableKey]],
    pollInterval,
    // Each load asks the function: no answer is served from an earlier visit's localStorage.
    cacheMode: "disabled",
  });
  const client = OpenFeature.getClient();
  const render = () => {
    const details = client.getBooleanDetails(FLAG, false);
    show("openfeature", JSON.stringify({ value: details.value, reason: details.reason }), Boolean(details.errorCode));
  };
  let updates = 0;
  client.addHandler(ProviderEvents.ConfigurationChanged, () => {
    show("updates", String(++updates));
    render();
  });
  await OpenFeature.setContext({ targetingKey: subject });
  await OpenFeature.setProviderAndWait(provider);
  render();
}

show("subject", subject);
if (!publishableKey) show("invoke", "add ?key=<publishable key> to the address (npm start prints it)", true);
else await Promise.all([readWithSupabaseJs(), readWithOpenFeature()]);
