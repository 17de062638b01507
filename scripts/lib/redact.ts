// Keeps secrets out of anything the ops tool prints: every database URL becomes its redacted form,
// and each URL's password is masked wherever else it shows up (CLI output, error messages).
import { redactUrl } from "./database.ts";

export type Redactor = (text: string) => string;

export function createRedactor(databaseUrls: readonly string[]): Redactor {
  const replacements: Array<[string, string]> = [];
  for (const databaseUrl of databaseUrls) {
    replacements.push([databaseUrl, redactUrl(databaseUrl)]);
    let password = "";
    try {
      password = new URL(databaseUrl).password;
    } catch {
      continue;
    }
    if (!password) continue;
    replacements.push([password, "****"]);
    const decoded = safeDecode(password);
    if (decoded !== password) replacements.push([decoded, "****"]);
  }
  // Longest first, so a whole URL is replaced before its password alone.
  replacements.sort((a, b) => b[0].length - a[0].length);
  return (text) => replacements.reduce((out, [secret, mask]) => out.split(secret).join(mask), text);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
