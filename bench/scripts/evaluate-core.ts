// Evaluations per second of the rollout core on one thread, over 1,000,000 distinct subjects.
// Runs unchanged in Node (through tsx) and in Deno, the way the core itself does. Prints JSON.
//
// Beside the core, the same bucket computed with node:crypto's native SHA-256, as a reference:
// the core uses its own synchronous pure-TypeScript SHA-256 so that it runs in a browser too.
import { createHash } from "node:crypto";
import process from "node:process";
import { BUCKET_COUNT, evaluateFlag, thresholdOf, type FlagDefinition } from "../../functions/_shared/rollout.ts";

const runs = Number(process.argv[2] ?? 3);
const subjectCount = Number(process.argv[3] ?? 1_000_000);
const flag: FlagDefinition = { key: "DLQ_ENABLED", enabled: true, rolloutPercentage: 5, bucketGroup: "DLQ_ENABLED" };
const subjects = Array.from({ length: subjectCount }, (_, i) => `tenant-${i}`);

function nativeBucketOn(subject: string): boolean {
  const digest = createHash("sha256").update(`${flag.bucketGroup}:${subject}`).digest();
  return digest.readUInt32BE(0) % BUCKET_COUNT < thresholdOf(flag.rolloutPercentage);
}

/** Evaluations per second over every subject, and the share of subjects that got the flag. */
function timeOnePass(isOn: (subject: string) => boolean): { perSecond: number; onShare: number } {
  let on = 0;
  const started = performance.now();
  for (const subject of subjects) if (isOn(subject)) on++;
  const seconds = (performance.now() - started) / 1000;
  return { perSecond: subjects.length / seconds, onShare: on / subjects.length };
}

const core = (subject: string) => evaluateFlag(flag, subject).value;
// Warm-up: let the JIT compile both paths before anything is timed.
for (let i = 0; i < 100_000; i++) {
  core(subjects[i % subjects.length]!);
  nativeBucketOn(subjects[i % subjects.length]!);
}
const result = { core: [] as number[], native: [] as number[], coreOnShare: 0, nativeOnShare: 0 };
for (let run = 0; run < runs; run++) {
  const c = timeOnePass(core);
  const n = timeOnePass(nativeBucketOn);
  result.core.push(c.perSecond);
  result.native.push(n.perSecond);
  result.coreOnShare = c.onShare;
  result.nativeOnShare = n.onShare;
}
console.log(JSON.stringify(result));
