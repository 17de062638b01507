// start-timer.ts: the timer the function's start uses instead of setTimeout fires once, after its
// time, and not at all once cancelled.
import { describe, expect, it } from "vitest";
import { after } from "../../../functions/feature-flags/start-timer.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("after", () => {
  it("calls back once, not before its time", async () => {
    const began = performance.now();
    const calls: number[] = [];
    after(30, () => calls.push(performance.now() - began));
    await sleep(10);
    expect(calls).toEqual([]);
    await sleep(60);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toBeGreaterThanOrEqual(29);
  });

  it("a cancelled timer never calls back", async () => {
    let called = false;
    const cancel = after(20, () => (called = true));
    cancel();
    await sleep(50);
    expect(called).toBe(false);
  });
});
