// Keeps secrets out of anything the ops tool prints: every database URL becomes its redacted form,
// and each URL's password is masked wherever else it shows up (CLI output, error messages).
// A password that is also a visible part of its URL (e.g. postgres:postgres@) is masked only where
// it stands as a password (":<password>@"), so that the user and database names stay readable.
import { redactUrl } from "./database.ts";

export type Redactor = (text: string) => string;

export function createRedactor(databaseUrls: readonly string[]): Redactor {
  const masks = new Map<string, string>();
  for (const databaseUrl of databaseUrls) {
    masks.set(databaseUrl, redactUrl(databaseUrl));
    let url: URL;
    try {
      url = new URL(databaseUrl);
    } catch {
      continue;
    }
    if (!url.password) continue;
    const visible = [url.username, url.hostname, url.port, url.pathname.slice(1)].map(safeDecode);
    for (const password of new Set([url.password, safeDecode(url.password)])) {
      masks.set(`:${password}@`, ":****@");
      if (!visible.includes(safeDecode(url.password))) masks.set(password, "****");
    }
  }
  if (masks.size === 0) return (text) => text;
  // One pass, longest secret first, so that a mask is never itself masked again.
  const pattern = new RegExp([...masks.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp).join("|"), "g");
  return (text) => text.replace(pattern, (secret) => masks.get(secret)!);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
