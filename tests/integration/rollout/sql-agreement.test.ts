// The SQL twin of the rollout rule (public.flag_bucket / public.flag_enabled, migration
// 20261125100400) gives the same answers as functions/_shared/rollout.ts: the golden vectors,
// 100,000 generated subjects (a third non-ASCII) and flag_enabled against evaluateFlag.
import { describe, expect, it } from "vitest";
import vectors from "../../../functions/_shared/rollout-vectors.json" with { type: "json" };
import { bucketOf, evaluateFlag } from "../../../functions/_shared/rollout.ts";
import { generateSubjects } from "../../support/subjects.ts";
import { usePushedDatabase } from "../../support/pushed-database.ts";

const db = usePushedDatabase();

/** flag_bucket for many subjects in one statement (a JSON array in, buckets out in order). */
async function sqlBuckets(group: string, subjects: string[]): Promise<number[]> {
  const rows = await db.sql`
    select public.flag_bucket(${group}, subject) as bucket
      from jsonb_array_elements_text(${db.sql.json(subjects)}::jsonb) with ordinality as s(subject, position)
     order by position`;
  return rows.map((row) => row.bucket as number);
}

describe("SQL and TypeScript agree", () => {
  it("on every golden vector", async () => {
    for (const vector of vectors.vectors) {
      const [row] = await db.sql`select public.flag_bucket(${vector.group}, ${vector.subject}) as bucket`;
      expect(row!.bucket, `${vector.group}:${vector.subject}`).toBe(vector.bucket);
    }
  });

  it("on the bucket of 100,000 subjects, non-ASCII included", async () => {
    const subjects = generateSubjects(100_000);
    const batch = 25_000;
    let compared = 0;
    for (let start = 0; start < subjects.length; start += batch) {
      const slice = subjects.slice(start, start + batch);
      const fromSql = await sqlBuckets("DLQ_ENABLED", slice);
      const mismatches = slice.filter((subject, i) => fromSql[i] !== bucketOf("DLQ_ENABLED", subject));
      expect(mismatches.slice(0, 5)).toEqual([]);
      compared += fromSql.length;
    }
    expect(compared).toBe(100_000);
  });

  it("flag_enabled answers as evaluateFlag does for a 5 % rollout, and is off for unknown flags", async () => {
    await db.sql`update public.feature_flags set enabled = true, rollout_percentage = 5 where key = 'JOB_HEARTBEAT'`;
    const subjects = generateSubjects(5_000, 7);
    const rows = await db.sql`
      select public.flag_enabled('JOB_HEARTBEAT', subject) as on
        from jsonb_array_elements_text(${db.sql.json(subjects)}::jsonb) with ordinality as s(subject, position)
       order by position`;
    const definition = { key: "JOB_HEARTBEAT", enabled: true, rolloutPercentage: 5, bucketGroup: "JOB_HEARTBEAT" };
    const expected = subjects.map((subject) => evaluateFlag(definition, subject).value);
    expect(rows.map((row) => row.on)).toEqual(expected);
    expect(expected.filter(Boolean).length).toBeGreaterThan(150);
    const [unknown] = await db.sql`select public.flag_enabled('NO_SUCH_FLAG', 'tenant-1') as on`;
    expect(unknown!.on).toBe(false);
  });

  it("flag_enabled answers as evaluateFlag does at 0 %, 0.01 %, 33.33 %, 99.99 % and 100 %, disabled, and in another bucket group", async () => {
    const subjects = generateSubjects(2_000, 11);
    const cases = [
      { enabled: true, rolloutPercentage: 0, bucketGroup: "JOB_HEARTBEAT" },
      { enabled: true, rolloutPercentage: 0.01, bucketGroup: "JOB_HEARTBEAT" },
      { enabled: true, rolloutPercentage: 33.33, bucketGroup: "RELIABILITY" },
      { enabled: true, rolloutPercentage: 99.99, bucketGroup: "JOB_HEARTBEAT" },
      { enabled: true, rolloutPercentage: 100, bucketGroup: "RELIABILITY" },
      { enabled: false, rolloutPercentage: 100, bucketGroup: "JOB_HEARTBEAT" },
    ];
    for (const flag of cases) {
      await db.sql`update public.feature_flags
                      set enabled = ${flag.enabled}, rollout_percentage = ${flag.rolloutPercentage}, bucket_group = ${flag.bucketGroup}
                    where key = 'JOB_HEARTBEAT'`;
      const rows = await db.sql`
        select public.flag_enabled('JOB_HEARTBEAT', subject) as on
          from jsonb_array_elements_text(${db.sql.json(subjects)}::jsonb) with ordinality as s(subject, position)
         order by position`;
      const expected = subjects.map((subject) => evaluateFlag({ key: "JOB_HEARTBEAT", ...flag }, subject).value);
      expect(rows.map((row) => row.on), JSON.stringify(flag)).toEqual(expected);
    }
    const [nullSubject] = await db.sql`select public.flag_enabled('JOB_HEARTBEAT', null) as on`;
    expect(nullSubject!.on).toBe(false);
  });
});
