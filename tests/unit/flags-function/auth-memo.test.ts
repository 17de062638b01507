// The memo of verified credentials (functions/feature-flags/credential-memo.ts) as the
// authenticator uses it, with the real credential checks (wrapped to count their calls)
// and a clock the test moves: repeats skip verification, nothing wrong ever gets through, JWTs
// are not remembered past their exp, and the memo stays bounded. No database, no network.
import { verifyAuth } from "@supabase/server/core";
import { describe, expect, it } from "vitest";
import { createAuthenticator, credentialChecker, type CheckCredentials, type VerifyAuth } from "../../../functions/feature-flags/auth.ts";
import { CredentialMemo, credentialKey, MAX_KEY_CHARS } from "../../../functions/feature-flags/credential-memo.ts";
import { resolveAuthEnv } from "../../../functions/feature-flags/auth-env.ts";
import { authEnvironment, generateLocalKeys, signUserJwt } from "../../../scripts/local/local-keys.ts";

const keys = generateLocalKeys();
const authEnv = resolveAuthEnv((name) => authEnvironment(keys, "http://127.0.0.1:54321")[name]);
const URL_ = "http://127.0.0.1:54321/feature-flags?subject=t";
const request = (headers: Record<string, string>) => new Request(URL_, { headers });

/** An authenticator over the real checks, counting calls; `refuse` makes the checks say no. */
function countingAuthenticator(options: { memoEntries?: number; now?: () => number } = {}) {
  const state = { calls: 0, refuse: false };
  const check = credentialChecker(authEnv, async () => verifyAuth as unknown as VerifyAuth);
  const counted: CheckCredentials = async (req, modes) => {
    state.calls++;
    if (state.refuse) return { data: null, error: { message: "Invalid credentials", status: 401 } };
    return check(req, modes);
  };
  return { auth: createAuthenticator(counted, options), state };
}

describe("remembering verified credentials", () => {
  it("a repeated key or JWT is answered from the memo with the same caller", async () => {
    const { auth, state } = countingAuthenticator();
    const jwt = signUserJwt(keys, { sub: "user-1" });
    for (const headers of <Record<string, string>[]>[{ apikey: keys.publishableKey }, { apikey: keys.secretKey }, { Authorization: `Bearer ${jwt}` }]) {
      const first = await auth.reader(request(headers));
      const before = state.calls;
      const again = await auth.reader(request(headers));
      expect(again).toEqual(first);
      expect(state.calls, JSON.stringify(headers)).toBe(before);
    }
    expect((await auth.reader(request({ Authorization: `Bearer ${jwt}` }))).data).toEqual({ mode: "user", actor: "user:user-1" });
  });

  it("a wrong key is refused every time after a right one verified; a right key beside a forged JWT too", async () => {
    const { auth, state } = countingAuthenticator();
    expect((await auth.reader(request({ apikey: keys.publishableKey }))).data?.mode).toBe("publishable");
    const forged = signUserJwt({ ...keys, jwtSecret: generateLocalKeys().jwtSecret }, { sub: "user-1" });
    for (let attempt = 0; attempt < 3; attempt++) {
      expect((await auth.reader(request({ apikey: `${keys.publishableKey}x` }))).error?.code).toBe("unauthorized");
      expect((await auth.reader(request({ apikey: keys.secretKey.slice(0, -1) }))).error?.code).toBe("unauthorized");
      expect((await auth.reader(request({ apikey: keys.publishableKey, Authorization: `Bearer ${forged}` }))).error?.code).toBe("unauthorized");
      expect((await auth.reader(request({}))).error?.code).toBe("unauthorized");
    }
    // Failures are not remembered: each one was checked again (the no-credential case included).
    expect(state.calls).toBe(1 + 3 * 4);
  });

  it("a right key next to an over-long Authorization header verifies every time and is never kept", async () => {
    const { auth, state } = countingAuthenticator();
    const junk = { apikey: keys.publishableKey, Authorization: `Basic ${"x".repeat(MAX_KEY_CHARS)}` };
    for (let attempt = 0; attempt < 3; attempt++) expect((await auth.reader(request(junk))).data?.mode).toBe("publishable");
    expect(state.calls).toBe(3);
    // One just short enough is remembered.
    const shorter = { apikey: keys.publishableKey, Authorization: `Basic ${"x".repeat(MAX_KEY_CHARS - keys.publishableKey.length - 10)}` };
    for (let attempt = 0; attempt < 3; attempt++) expect((await auth.reader(request(shorter))).data?.mode).toBe("publishable");
    expect(state.calls).toBe(4);
  });

  it("a token with a remembered token's signature but another payload is verified, and refused", async () => {
    const { auth, state } = countingAuthenticator();
    const jwt = signUserJwt(keys, { sub: "user-1" });
    expect((await auth.reader(request({ Authorization: `Bearer ${jwt}` }))).data?.mode).toBe("user");
    const [header, payload, signature] = jwt.split(".") as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: "user-2" })).toString("base64url")}.${signature}`;
    expect((await auth.reader(request({ Authorization: `Bearer ${forged}` }))).error?.code).toBe("unauthorized");
    expect(state.calls).toBe(2);
    // The real one is still answered from the memo.
    expect((await auth.reader(request({ Authorization: `Bearer ${jwt}` }))).data?.mode).toBe("user");
    expect(state.calls).toBe(2);
  });

  it("a publishable key that verified for reads still may not write", async () => {
    const { auth } = countingAuthenticator();
    expect((await auth.reader(request({ apikey: keys.publishableKey }))).data?.mode).toBe("publishable");
    expect((await auth.writer(request({ apikey: keys.publishableKey }))).error?.code).toBe("secret_key_required");
    expect((await auth.writer(request({ apikey: keys.publishableKey }))).error?.code).toBe("secret_key_required");
    expect((await auth.writer(request({ apikey: keys.secretKey }))).data?.mode).toBe("secret");
  });

  it("a JWT is remembered until its exp, never beyond: past it, it is verified again and refused", async () => {
    let clock = Date.now();
    const { auth, state } = countingAuthenticator({ now: () => clock });
    const jwt = signUserJwt(keys, { sub: "user-1", expiresInSeconds: 600 });
    const exp = JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString()).exp as number;
    expect((await auth.reader(request({ Authorization: `Bearer ${jwt}` }))).data?.mode).toBe("user");
    clock = exp * 1000 - 1;
    expect((await auth.reader(request({ Authorization: `Bearer ${jwt}` }))).data?.mode).toBe("user");
    expect(state.calls).toBe(1);
    // At exp the memo no longer answers; the check (standing in for jose at that time) refuses.
    clock = exp * 1000;
    state.refuse = true;
    expect((await auth.reader(request({ Authorization: `Bearer ${jwt}` }))).error?.code).toBe("unauthorized");
    expect(state.calls).toBe(2);
  });

  it("an already expired JWT is refused even though the same subject verified before", async () => {
    const { auth } = countingAuthenticator();
    expect((await auth.reader(request({ Authorization: `Bearer ${signUserJwt(keys, { sub: "user-1" })}` }))).data?.mode).toBe("user");
    const expired = signUserJwt(keys, { sub: "user-1", expiresInSeconds: -60 });
    expect((await auth.reader(request({ Authorization: `Bearer ${expired}` }))).error?.code).toBe("unauthorized");
  });

  it("is bounded: past its size the oldest credential is forgotten and verified again", async () => {
    const { auth, state } = countingAuthenticator({ memoEntries: 2 });
    const jwt = signUserJwt(keys, { sub: "user-1" });
    for (const headers of <Record<string, string>[]>[{ apikey: keys.publishableKey }, { apikey: keys.secretKey }, { Authorization: `Bearer ${jwt}` }]) await auth.reader(request(headers));
    expect(state.calls).toBe(3);
    await auth.reader(request({ Authorization: `Bearer ${jwt}` })); // still remembered
    expect(state.calls).toBe(3);
    await auth.reader(request({ apikey: keys.publishableKey })); // the oldest, forgotten
    expect(state.calls).toBe(4);
  });
});

describe("CredentialMemo", () => {
  it("never holds more than maxEntries and never serves an expired entry", () => {
    let clock = 0;
    const memo = new CredentialMemo<string>(3, () => clock);
    for (let i = 0; i < 10; i++) memo.set(`k${i}`, `v${i}`);
    expect(memo.size).toBe(3);
    expect([memo.get("k6"), memo.get("k7"), memo.get("k9")]).toEqual([undefined, "v7", "v9"]);
    memo.set("short", "lived", 100);
    clock = 100;
    expect(memo.get("short")).toBeUndefined();
    memo.set("already-expired", "x", 50);
    expect(memo.get("already-expired")).toBeUndefined();
    expect(() => new CredentialMemo(0)).toThrow(/positive integer/);
  });

  it("header sets that differ never share a key, and an API key alone is its own text", () => {
    expect(credentialKey(null, keys.publishableKey)).toBe(keys.publishableKey);
    expect(credentialKey(null, null)).toBeNull();
    const variants = [
      credentialKey(null, "a"),
      credentialKey("a", null),
      credentialKey("", "a"),
      credentialKey("a", ""),
      credentialKey("Bearer a", "b"),
      credentialKey("Bearer a", null),
    ];
    expect(new Set(variants).size).toBe(variants.length);
  });
});
