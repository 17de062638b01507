// The per-isolate bucket cache (functions/feature-flags/bucket-cache.ts) only saves recomputing
// a bucket: every answer equals the rollout rule's, and it holds at most two generations.
import { describe, expect, it } from "vitest";
import { bucketOf } from "../functions/_shared/rollout.ts";
import { BucketCache } from "../functions/feature-flags/bucket-cache.ts";

describe("BucketCache", () => {
  it("answers bucketOf for new, repeated and evicted subjects, across groups", () => {
    const cache = new BucketCache(50);
    const subjects = Array.from({ length: 400 }, (_, i) => `tenant-${i % 180}${i % 7 === 0 ? "-é" : ""}`);
    for (const group of ["DLQ_ENABLED", "JOB_HEARTBEAT", "shared-group"]) {
      for (const subject of [...subjects, ...subjects.reverse()]) expect(cache.bucketOf(group, subject)).toBe(bucketOf(group, subject));
    }
    // The same subject in two groups is two entries, never one group's bucket for the other.
    const fresh = new BucketCache(10);
    expect(fresh.bucketOf("A", "s")).toBe(bucketOf("A", "s"));
    expect(fresh.bucketOf("B", "s")).toBe(bucketOf("B", "s"));
    expect(bucketOf("A", "s")).not.toBe(bucketOf("B", "s"));
  });

  it("is bounded by two generations per group, and a bounded number of groups, however many subjects arrive", () => {
    const cache = new BucketCache(100);
    for (let i = 0; i < 10_000; i++) cache.bucketOf("G", `subject-${i}`);
    expect(cache.size).toBeLessThanOrEqual(200);
    expect(cache.size).toBeGreaterThan(100);
    for (let g = 0; g < 100; g++) for (let i = 0; i < 2_000; i++) cache.bucketOf(`G${g}`, `subject-${i}`);
    expect(cache.size).toBeLessThanOrEqual(16 * 200);
    expect(() => new BucketCache(0)).toThrow(/positive integer/);
  });

  it("admits a repeated subject after a few requests and answers it from memory then", () => {
    const cache = new BucketCache(100);
    for (let i = 0; i < 20; i++) cache.bucketOf("G", "tenant-1");
    expect(cache.size).toBe(1);
  });
});
