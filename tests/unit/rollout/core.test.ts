// The pure rollout rule (functions/_shared/rollout.ts): golden vectors, the hash against
// node:crypto, the statistics of a 5 % rollout, monotonic raises, shared bucket groups, reasons.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import vectors from "../../../functions/_shared/rollout-vectors.json" with { type: "json" };
import {
  bucketOf,
  evaluateFlag,
  evaluateWithoutData,
  parseOverride,
  validateFlagKey,
  validateRolloutPercentage,
  validateSubject,
  type FlagDefinition,
} from "../../../functions/_shared/rollout.ts";
import { sha256, sha256FirstWord } from "../../../functions/_shared/sha256.ts";
import { generateSubjects, isAscii } from "../../support/subjects.ts";

const SUBJECTS = generateSubjects(100_000);
const flag = (percentage: number, extra: Partial<FlagDefinition> = {}): FlagDefinition => ({
  key: "DLQ_ENABLED",
  enabled: true,
  rolloutPercentage: percentage,
  bucketGroup: "DLQ_ENABLED",
  ...extra,
});
const onAt = (definition: FlagDefinition) => new Set(SUBJECTS.filter((s) => evaluateFlag(definition, s).value));

describe("golden vectors (rollout-vectors.json)", () => {
  it("are version 1 and cover non-ASCII subjects", () => {
    expect(vectors.version).toBe(1);
    expect(vectors.vectors.length).toBeGreaterThanOrEqual(10);
    expect(vectors.vectors.some((v) => !isAscii(v.subject))).toBe(true);
  });

  it.each(vectors.vectors.map((v) => [v.group, v.subject, v] as const))("bucket(%s, %j)", (group, subject, vector) => {
    expect(sha256FirstWord(new TextEncoder().encode(`${group}:${subject}`))).toBe(vector.first_word);
    expect(bucketOf(group, subject)).toBe(vector.bucket);
    expect(vector.bucket).toBe(vector.first_word % 10_000);
  });
});

describe("sha256", () => {
  it("matches node:crypto for every length around the 64-byte block boundaries and random text", () => {
    const inputs: Uint8Array[] = [];
    for (let length = 0; length <= 200; length++) inputs.push(Uint8Array.from({ length }, (_, i) => (i * 31 + length) & 0xff));
    for (const subject of SUBJECTS.slice(0, 2_000)) inputs.push(new TextEncoder().encode(subject));
    for (const input of inputs) {
      const expected = createHash("sha256").update(input).digest();
      expect(Buffer.from(sha256(input)).toString("hex")).toBe(expected.toString("hex"));
      expect(sha256FirstWord(input)).toBe(expected.readUInt32BE(0));
    }
  });
});

describe("bucketOf's one-block path", () => {
  it("matches node:crypto for joined lengths around the 55-byte one-block limit, ASCII and not", () => {
    const native = (group: string, subject: string) => createHash("sha256").update(`${group}:${subject}`).digest().readUInt32BE(0) % 10_000;
    for (const group of ["G", "DLQ_ENABLED", "A".repeat(64)]) {
      for (let length = 0; length <= 70; length++) {
        for (const subject of ["x".repeat(length), "é".repeat(length), `${"y".repeat(length)}🚀`, `${"z".repeat(length)}\u007f`]) {
          expect(bucketOf(group, subject), `${group} ${JSON.stringify(subject)}`).toBe(native(group, subject));
        }
      }
    }
    for (const subject of SUBJECTS.slice(0, 5_000)) expect(bucketOf("JOB_HEARTBEAT", subject)).toBe(native("JOB_HEARTBEAT", subject));
  });
});

describe("rollout statistics over 100,000 subjects", () => {
  it("the subjects are distinct and a third of them non-ASCII", () => {
    expect(new Set(SUBJECTS).size).toBe(100_000);
    expect(SUBJECTS.filter((s) => !isAscii(s)).length).toBeGreaterThan(30_000);
  });

  it("5 % turns the flag on for 5 % of subjects within 4 standard deviations", () => {
    const on = onAt(flag(5)).size;
    const n = SUBJECTS.length;
    const sd = Math.sqrt(n * 0.05 * 0.95); // about 69 subjects
    expect(Math.abs(on - n * 0.05)).toBeLessThan(4 * sd);
  });

  it("buckets are uniform: each tenth of the range holds 10 % within 4 standard deviations", () => {
    const counts = new Array<number>(10).fill(0);
    for (const subject of SUBJECTS) counts[Math.floor(bucketOf("JOB_HEARTBEAT", subject) / 1000)]! += 1;
    const sd = Math.sqrt(SUBJECTS.length * 0.1 * 0.9);
    for (const count of counts) expect(Math.abs(count - SUBJECTS.length / 10)).toBeLessThan(4 * sd);
  });

  it("raising 5 % to 25 % keeps every subject that was on", () => {
    const atFive = onAt(flag(5));
    const atTwentyFive = onAt(flag(25));
    expect(atTwentyFive.size).toBeGreaterThan(atFive.size * 4);
    for (const subject of atFive) expect(atTwentyFive.has(subject)).toBe(true);
  });

  it("flags sharing a bucket group pick the same subjects; different groups are independent", () => {
    const dlq = onAt(flag(5, { key: "DLQ_ENABLED", bucketGroup: "reliability" }));
    const heartbeat = onAt(flag(5, { key: "JOB_HEARTBEAT", bucketGroup: "reliability" }));
    expect([...heartbeat]).toEqual([...dlq]);
    const ownGroups = [onAt(flag(5, { key: "DLQ_ENABLED", bucketGroup: "DLQ_ENABLED" })), onAt(flag(5, { key: "JOB_HEARTBEAT", bucketGroup: "JOB_HEARTBEAT" }))] as const;
    const both = [...ownGroups[0]].filter((s) => ownGroups[1].has(s)).length;
    // Independent 5 % draws overlap on about 0.25 % of subjects (250), far from 100 %.
    expect(both).toBeGreaterThan(150);
    expect(both).toBeLessThan(350);
  });
});

describe("evaluateFlag reasons", () => {
  it("DISABLED, STATIC at 0 % and 100 %, SPLIT between, with the bucket", () => {
    expect(evaluateFlag(flag(50, { enabled: false }), "t").reason).toBe("DISABLED");
    expect(evaluateFlag(flag(0), "t")).toMatchObject({ value: false, reason: "STATIC" });
    expect(evaluateFlag(flag(100), "t")).toMatchObject({ value: true, reason: "STATIC" });
    const split = evaluateFlag(flag(50), "tenant-1");
    expect(split).toMatchObject({ reason: "SPLIT", bucket: bucketOf("DLQ_ENABLED", "tenant-1") });
    expect(split.value).toBe(split.bucket < 5000);
  });

  it("overrides: false kills, true forces on, a percentage rolls out even a disabled flag", () => {
    expect(evaluateFlag(flag(100), "t", { kind: "off" })).toMatchObject({ value: false, reason: "OVERRIDE", overridden: true });
    expect(evaluateFlag(flag(0, { enabled: false }), "t", { kind: "on" })).toMatchObject({ value: true, reason: "OVERRIDE" });
    const partial = evaluateFlag(flag(0, { enabled: false }), "tenant-1", { kind: "percentage", percentage: 100 });
    expect(partial).toMatchObject({ value: true, overridden: true, rolloutPercentage: 100 });
  });

  it("without data every flag is off with reason ERROR", () => {
    expect(evaluateWithoutData("DLQ_ENABLED", "t")).toMatchObject({ value: false, reason: "ERROR" });
  });

  it("validation names the problem", () => {
    expect(validateSubject(null)).toEqual({ data: null, error: "subject is required" });
    expect(validateSubject("")).toEqual({ data: null, error: "subject must not be empty" });
    expect(validateSubject("ü".repeat(129))).toMatchObject({ data: null, error: expect.stringContaining("258 bytes") });
    expect(validateSubject("x".repeat(256)).error).toBeNull();
    expect(validateFlagKey("dlq").error).toEqual(expect.any(String));
    expect(validateRolloutPercentage(5.001).error).toEqual(expect.any(String));
    expect(parseOverride("12.5%")).toEqual({ data: { kind: "percentage", percentage: 12.5 }, error: null });
    expect(parseOverride("yes").error).toEqual(expect.any(String));
  });
});
