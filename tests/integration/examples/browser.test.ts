// The browser example (examples/browser) in real headless Chromium against `npm start`: the page is
// served from another origin than the function, so every lookup crosses CORS, with the publishable
// key only. It reads a flag with supabase-js and with OpenFeature's web SDK (OFREP web provider),
// revalidates with If-None-Match (304 while nothing changed), and shows a flag change made with the
// secret key. Chromium comes from Debian's package (CI installs it); without it the test is skipped
// on a developer's machine and fails in CI.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startExamplePageServer, type ExamplePageServer } from "../../../examples/browser/serve.ts";
import { npmStart, type StartedStack } from "../../support/npm-start.ts";

const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const haveChromium = existsSync(chromiumPath);
if (!haveChromium && process.env.CI) throw new Error(`Chromium not found at ${chromiumPath}: .ci/run installs Debian's chromium`);
if (!haveChromium) console.warn(`browser example test skipped: no Chromium at ${chromiumPath} (apt-get install chromium, or set CHROMIUM_PATH)`);

interface Seen {
  method: string;
  url: string;
  status: number;
  requestHeaders: Record<string, string>;
  responseHeaders: Record<string, string>;
}

describe.skipIf(!haveChromium)("browser example against npm start", () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "rrk-browser-"));
  let stack: StartedStack;
  let pageServer: ExamplePageServer;
  let browser: Browser;
  let page: Page;
  let keys: { publishableKey: string; secretKey: string };
  const seen: Seen[] = [];

  beforeAll(async () => {
    // A short cache TTL so that the function sees the flag change within the test's patience.
    stack = await npmStart(dataDir, { FEATURE_FLAGS_CACHE_TTL_MS: "200" });
    keys = JSON.parse(readFileSync(path.join(dataDir, "local-keys.json"), "utf8"));
    pageServer = await startExamplePageServer(0);
    // Chromium's sandbox needs an unprivileged user; tests here may run as root.
    browser = await chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox"] });
    page = await browser.newPage();
    page.on("response", async (response) => {
      const request = response.request();
      if (!request.url().includes("/functions/v1/feature-flags")) return;
      seen.push({
        method: request.method(),
        url: request.url(),
        status: response.status(),
        requestHeaders: await request.allHeaders(),
        responseHeaders: await response.allHeaders(),
      });
    });
  });

  afterAll(async () => {
    await browser?.close();
    await pageServer?.close();
    stack?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const projectUrl = () => `http://127.0.0.1:${stack.port}`;
  const text = (id: string) => page.locator(`#${id}`).textContent();

  it("reads the flag with supabase-js and OpenFeature, across origins, with the publishable key", async () => {
    const query = new URLSearchParams({ url: projectUrl(), key: keys.publishableKey, subject: "tenant-42", poll: "300" });
    await page.goto(`${pageServer.origin}/?${query}`);
    await page.waitForFunction(() => !["…", ""].includes(document.getElementById("openfeature")!.textContent ?? "")
      && !["…", ""].includes(document.getElementById("invoke")!.textContent ?? ""));

    expect(JSON.parse((await text("invoke"))!)).toEqual({ value: false, reason: "DISABLED" });
    expect(JSON.parse((await text("openfeature"))!)).toEqual({ value: false, reason: "DISABLED" });

    const lookups = seen.filter((entry) => entry.method !== "OPTIONS");
    expect(lookups.map((entry) => `${entry.method} ${new URL(entry.url).pathname}`)).toEqual(
      expect.arrayContaining(["GET /functions/v1/feature-flags/DLQ_ENABLED", "POST /functions/v1/feature-flags/ofrep/v1/evaluate/flags"]),
    );
    for (const lookup of lookups) {
      // The page's own origin is another port: the browser let the answer through because of CORS.
      expect(lookup.requestHeaders.origin).toBe(pageServer.origin);
      expect(lookup.responseHeaders["access-control-allow-origin"]).toMatch(new RegExp(`^(\\*|${pageServer.origin})$`));
      expect(lookup.requestHeaders.apikey).toBe(keys.publishableKey);
      expect(JSON.stringify(lookup.requestHeaders)).not.toContain(keys.secretKey);
    }
    // apikey is not a CORS-safelisted header: Chromium sent each of these only after a preflight
    // that allowed it (Chromium does not report preflights to the page, so their success is seen here).
    // The page polls every 300 ms: on a slow machine its first revalidation (304, If-None-Match)
    // can already be among them, which passed the same preflight.
    expect(lookups.every((entry) => entry.status === 200 || (entry.status === 304 && entry.method === "POST")), JSON.stringify(lookups.map((e) => e.status))).toBe(true);
  });

  it("revalidates with If-None-Match: 304 while the flags are unchanged", async () => {
    await expect.poll(() => seen.some((entry) => entry.status === 304), { timeout: 15_000 }).toBe(true);
    const revalidation = seen.find((entry) => entry.status === 304)!;
    const first = seen.find((entry) => entry.method === "POST" && entry.status === 200)!;
    expect(revalidation.requestHeaders["if-none-match"]).toBe(first.responseHeaders.etag);
  });

  it("shows a flag change made with the secret key", async () => {
    const patch = await fetch(`${projectUrl()}/functions/v1/feature-flags/DLQ_ENABLED`, {
      method: "PATCH",
      headers: { apikey: keys.secretKey, "content-type": "application/json" },
      body: JSON.stringify({ enabled: true, rollout_percentage: 100 }),
    });
    expect(patch.status, await patch.text()).toBe(200);

    await expect.poll(async () => JSON.parse((await text("openfeature"))!), { timeout: 20_000 }).toEqual({ value: true, reason: "STATIC" });
    expect(Number(await text("updates"))).toBeGreaterThanOrEqual(1);
    const bulk = seen.filter((entry) => entry.method === "POST" && entry.status === 200);
    expect(new Set(bulk.map((entry) => entry.responseHeaders.etag)).size).toBeGreaterThanOrEqual(2);
  });
});
