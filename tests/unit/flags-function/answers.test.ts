// Lookup answers written as JSON text (functions/feature-flags/answers.ts) are byte for byte the
// JSON.stringify of the objects the API documents, for every reason, source state and awkward
// subject, so moving to pre-serialized answers changed no client-visible byte.
import { describe, expect, it } from "vitest";
import { evaluateFlag, evaluateWithoutData, type FlagEvaluation } from "../../../functions/_shared/rollout.ts";
import { listAnswerJson, ofrepBulkJson, ofrepFlagJson, singleAnswerJson } from "../../../functions/feature-flags/answers.ts";
import { READ_FAILED, sourceReport } from "../../../functions/feature-flags/evaluate.ts";
import type { FlagSnapshot } from "../../../functions/feature-flags/flag-cache.ts";

const SNAPSHOTS: FlagSnapshot[] = [
  { flags: new Map(), state: "fresh", fetchedAt: Date.UTC(2026, 11, 1, 12), ageMs: 1234, lastError: null, lastKnownKeys: [] },
  { flags: new Map(), state: "fresh", fetchedAt: Date.UTC(2026, 11, 1, 12, 0, 5), ageMs: 0, lastError: null, lastKnownKeys: [] },
  { flags: new Map(), state: "stale", fetchedAt: Date.UTC(2026, 11, 1, 12), ageMs: 60_000, lastError: 'connect "ECONNREFUSED"\n\\ 127.0.0.1', lastKnownKeys: [] },
  { flags: null, state: "unavailable", fetchedAt: null, ageMs: null, lastError: "timeout", lastKnownKeys: [] },
  { flags: null, state: "unavailable", fetchedAt: Date.UTC(2026, 11, 1), ageMs: 999_999_999, lastError: "down", lastKnownKeys: ["A"] },
];
const SUBJECTS = ["tenant-1", 'quote"back\\slash', "tab\tnew\nline\u0000", "日本語", "emoji-🚀", "lone-\ud800-surrogate", "</script>"];
const EVALUATIONS: FlagEvaluation[] = SUBJECTS.flatMap((subject) => [
  evaluateFlag({ key: "DLQ_ENABLED", enabled: true, rolloutPercentage: 12.34, bucketGroup: "DLQ_ENABLED" }, subject),
  evaluateFlag({ key: "B", enabled: false, rolloutPercentage: 0, bucketGroup: "" }, subject),
  evaluateFlag({ key: "C", enabled: true, rolloutPercentage: 100, bucketGroup: "C" }, subject, { kind: "off" }),
  evaluateFlag({ key: "D", enabled: false, rolloutPercentage: 0, bucketGroup: "D" }, subject, { kind: "percentage", percentage: 0.01 }),
  evaluateWithoutData("E", subject),
]);

/** The OFREP success object as the protocol documents it (what the handler used to stringify). */
function ofrepObject(e: FlagEvaluation, snapshot: FlagSnapshot, withAge: boolean) {
  const metadata: Record<string, unknown> = { bucket: e.bucket, rolloutPercentage: e.rolloutPercentage, overridden: e.overridden, source: snapshot.state };
  if (withAge && snapshot.ageMs !== null) metadata.sourceAgeMs = snapshot.ageMs;
  return { key: e.key, value: e.value, reason: e.reason, variant: e.value ? "on" : "off", metadata };
}

describe("pre-serialized answers", () => {
  it.each(SNAPSHOTS.map((s) => [s.state, s] as const))("equal JSON.stringify of the documented objects (%s)", (_, snapshot) => {
    for (const [i, e] of EVALUATIONS.entries()) {
      const subject = SUBJECTS[Math.floor(i / 5)]!;
      expect(singleAnswerJson(e, subject, snapshot)).toBe(JSON.stringify({ ...e, subject, source: sourceReport(snapshot) }));
      expect(ofrepFlagJson(e, snapshot)).toBe(JSON.stringify(ofrepObject(e, snapshot, true)));
    }
    for (const subject of SUBJECTS) {
      const evaluations = EVALUATIONS.filter((_, i) => SUBJECTS[Math.floor(i / 5)] === subject);
      const flags = Object.fromEntries(evaluations.map((e) => [e.key, e]));
      expect(listAnswerJson(evaluations, subject, snapshot)).toBe(JSON.stringify({ subject, flags, source: sourceReport(snapshot) }));
    }
    expect(listAnswerJson([], "s", snapshot)).toBe(JSON.stringify({ subject: "s", flags: {}, source: sourceReport(snapshot) }));
  });

  it.each(SNAPSHOTS.map((s) => [s.state, s] as const))("OFREP bulk: the body equals JSON.stringify (%s)", (_, snapshot) => {
    for (const evaluations of [[], EVALUATIONS.slice(0, 1), EVALUATIONS.slice(0, 5), EVALUATIONS]) {
      const { body, etag } = ofrepBulkJson(evaluations, snapshot);
      expect(body).toBe(JSON.stringify({ flags: evaluations.map((e) => ofrepObject(e, snapshot, true)) }));
      expect(etag).toMatch(/^"[0-9a-f]{16}"$/);
    }
  });

  it("OFREP bulk: the ETag is the same exactly when the answer without its age is", () => {
    // Every state, the cache's age, flag lists of every length and order, and every subject: two
    // answers share a tag if and only if their text without the age is the same.
    const lists: FlagEvaluation[][] = [[]];
    for (const subject of SUBJECTS) {
      const forSubject = EVALUATIONS.filter((_, i) => SUBJECTS[Math.floor(i / 5)] === subject);
      lists.push(forSubject, forSubject.slice(0, 2), forSubject.slice(1), forSubject.slice().reverse());
    }
    const tagOf = new Map<string, string>();
    const answerOf = new Map<string, string>();
    for (const snapshot of [...SNAPSHOTS, ...SNAPSHOTS.map((s) => ({ ...s, ageMs: s.ageMs === null ? null : s.ageMs + 5 }))]) {
      for (const evaluations of lists) {
        const withoutAge = JSON.stringify(evaluations.map((e) => ofrepObject(e, snapshot, false)));
        const { etag } = ofrepBulkJson(evaluations, snapshot);
        expect(tagOf.get(withoutAge) ?? etag, withoutAge).toBe(etag);
        expect(answerOf.get(etag) ?? withoutAge, etag).toBe(withoutAge);
        tagOf.set(withoutAge, etag);
        answerOf.set(etag, withoutAge);
      }
    }
    expect(tagOf.size).toBeGreaterThan(40);
  });

  it("never carry the database's own error (it names hosts and ports), only READ_FAILED", () => {
    const stale = SNAPSHOTS.find((s) => s.state === "stale")!;
    const e = EVALUATIONS[0]!;
    for (const text of [singleAnswerJson(e, "s", stale), listAnswerJson([e], "s", stale)]) {
      expect(text).not.toContain("127.0.0.1");
      expect(JSON.parse(text).source.error).toBe(READ_FAILED);
    }
    expect(sourceReport(stale, true).error).toBe(stale.lastError);
  });

  it("follow a flag whose reason, percentage or override changed under the same key", () => {
    const snapshot = SNAPSHOTS[0]!;
    const definitions = [
      { key: "K", enabled: true, rolloutPercentage: 5, bucketGroup: "K" },
      { key: "K", enabled: true, rolloutPercentage: 100, bucketGroup: "K" },
      { key: "K", enabled: false, rolloutPercentage: 100, bucketGroup: "K" },
      { key: "K", enabled: true, rolloutPercentage: 5.5, bucketGroup: "K" },
    ];
    for (const definition of [...definitions, ...definitions.slice().reverse()]) {
      for (const override of [undefined, { kind: "on" } as const, { kind: "percentage", percentage: 5.5 } as const]) {
        for (const subject of SUBJECTS) {
          const e = evaluateFlag(definition, subject, override);
          expect(singleAnswerJson(e, subject, snapshot)).toBe(JSON.stringify({ ...e, subject, source: sourceReport(snapshot) }));
          expect(ofrepFlagJson(e, snapshot)).toBe(JSON.stringify(ofrepObject(e, snapshot, true)));
        }
      }
    }
  });

  it("stay right past the number of keys whose text is kept (every key answered without flag data)", () => {
    const snapshot = SNAPSHOTS[3]!;
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 600; i++) {
        const e = evaluateWithoutData(`KEY_${i}`, `s${round}`);
        expect(ofrepFlagJson(e, snapshot)).toBe(JSON.stringify(ofrepObject(e, snapshot, true)));
        expect(listAnswerJson([e], "s", snapshot)).toBe(JSON.stringify({ subject: "s", flags: { [e.key]: e }, source: sourceReport(snapshot) }));
      }
    }
  });

  it("follow a new snapshot's source instead of the one serialized before", () => {
    const e = EVALUATIONS[0]!;
    for (const snapshot of [...SNAPSHOTS, ...SNAPSHOTS.slice().reverse()]) {
      expect(JSON.parse(singleAnswerJson(e, "s", snapshot)).source).toEqual(sourceReport(snapshot));
    }
  });
});
