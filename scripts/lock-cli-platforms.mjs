// Keeps package-lock.json usable by `npm ci` when the registry lacks some of the Supabase CLI's
// platform packages at the pinned version (this machine's mirror serves only linux-x64 for 3.x).
// `npm install` then leaves those optional dependencies out of the lock, and `npm ci` refuses a
// lock that misses them. This adds them back as optional, platform-restricted entries, which npm
// skips on every other platform. It is package.json's `postinstall`, so `npm install` runs it; a
// lock that already has every entry is left as it is (`npm ci` changes nothing).
import { readFileSync, writeFileSync } from "node:fs";

const lockPath = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(lockPath, "utf8"));
const cli = lock.packages["node_modules/supabase"];
const platforms = {
  "darwin-arm64": { os: ["darwin"], cpu: ["arm64"] },
  "darwin-x64": { os: ["darwin"], cpu: ["x64"] },
  "linux-arm64": { os: ["linux"], cpu: ["arm64"], libc: ["glibc"] },
  "linux-arm64-musl": { os: ["linux"], cpu: ["arm64"], libc: ["musl"] },
  "linux-x64": { os: ["linux"], cpu: ["x64"], libc: ["glibc"] },
  "linux-x64-musl": { os: ["linux"], cpu: ["x64"], libc: ["musl"] },
  "windows-arm64": { os: ["win32"], cpu: ["arm64"] },
  "windows-x64": { os: ["win32"], cpu: ["x64"] },
};
let added = 0;
for (const [platform, fields] of Object.entries(platforms)) {
  const key = `node_modules/@supabase/cli-${platform}`;
  if (lock.packages[key]) continue;
  lock.packages[key] = { version: cli.version, ...fields, dev: true, license: "MIT", optional: true };
  added++;
}
if (added > 0) {
  lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  writeFileSync(lockPath, JSON.stringify(lock, null, 2) + "\n");
  console.log(`package-lock.json: ${added} Supabase CLI platform entries added`);
}
