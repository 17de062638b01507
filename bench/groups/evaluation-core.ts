// Evaluation core: evaluations per second on one thread in Node and in Deno over distinct subjects
// (pinned to one core, so the figure does not depend on where the scheduler puts it), and the SQL
// twin of the rule over as many subjects in PostgreSQL.
import path from "node:path";
import type { BenchContext, BenchGroup } from "../lib/context.ts";
import { createBenchDatabase, pushMigrations } from "../lib/databases.ts";
import { DENO_BIN } from "../../scripts/local/function-server.ts";
import { BENCH_DIR, runToCompletion } from "../lib/processes.ts";
import { floorTarget, ratioTarget } from "../lib/results.ts";
import { repeat } from "../lib/stats.ts";
import { GENERATOR_CPU, pinningUnavailable } from "../lib/wrk.ts";

/** The core's targets: evaluations per second over 1,000,000 distinct subjects (median of the runs). */
const CORE_TARGETS = { node: 1_000_000, deno: 600_000 } as const;

const SCRIPT = path.join(BENCH_DIR, "scripts", "evaluate-core.ts");

interface CoreRun {
  core: number[];
  native: number[];
  coreOnShare: number;
  nativeOnShare: number;
}

async function runCore(runtime: "node" | "deno", context: BenchContext): Promise<CoreRun> {
  const args = [String(context.settings.runs), String(context.settings.subjects)];
  const command = runtime === "node" ? [process.execPath, "--import", "tsx", SCRIPT, ...args] : [DENO_BIN, "run", "--quiet", SCRIPT, ...args];
  // Pinned to the core the HTTP group gives its load generator; unpinned where there is one core.
  const pinned = pinningUnavailable() ? command : ["taskset", "-c", String(GENERATOR_CPU), ...command];
  const stdout = await runToCompletion(pinned[0]!, pinned.slice(1));
  const run = JSON.parse(stdout.trim().split("\n").pop()!) as CoreRun;
  if (run.coreOnShare !== run.nativeOnShare) {
    throw new Error(`${runtime}: the core put ${run.coreOnShare} of subjects on, node:crypto ${run.nativeOnShare}: the core's SHA-256 is wrong`);
  }
  return run;
}

export const evaluationCore: BenchGroup = {
  title: "Evaluation core",
  async run(context) {
    const { book, settings } = context;
    const subjects = settings.subjects.toLocaleString("en-US");
    const runs: Partial<Record<"node" | "deno", CoreRun>> = {};
    for (const runtime of ["node", "deno"] as const) {
      context.log(`evaluation core in ${runtime}`);
      const run = await runCore(runtime, context);
      runs[runtime] = run;
      book.add({
        id: `core.${runtime}.native`,
        label: `${runtime}: bucket with node:crypto SHA-256 (reference), ${subjects} subjects`,
        unit: "evals/s",
        samples: run.native,
      });
      book.add({
        id: `core.${runtime}.evaluate`,
        label: `${runtime}: evaluateFlag (pure-TS SHA-256), ${subjects} subjects`,
        unit: "evals/s",
        samples: run.core,
        baselineId: `core.${runtime}.native`,
        target: floorTarget(CORE_TARGETS[runtime], `>= ${CORE_TARGETS[runtime].toLocaleString("en-US")} evals/s`),
      });
    }

    context.log("SQL rule in PostgreSQL");
    const database = await createBenchDatabase("sqlrule");
    try {
      await pushMigrations(database.url);
      await database.sql`update public.feature_flags set enabled = true, rollout_percentage = 5 where key = 'DLQ_ENABLED'`;
      const subjectCount = settings.subjects;
      let onCount = 0;
      const timeQuery = async (query: () => Promise<number>) =>
        repeat(settings.runs, async () => {
          const started = performance.now();
          onCount = await query();
          return subjectCount / ((performance.now() - started) / 1000);
        });
      const countOn = async (query: Promise<{ on_count: number }[]>) => (await query)[0]!.on_count;
      const last = subjectCount - 1;
      // Reference: the same rule written inline in the query, with no function call per subject and
      // one SHA-256 per subject. (Naming the digest in a subquery and reading it with four get_byte
      // calls looks like one hash, but the planner folds the subquery in and hashes four times.)
      const inlineRates = await timeQuery(() =>
        countOn(database.sql`
          select count(*) filter (where ('x' || encode(substring(sha256(convert_to('DLQ_ENABLED:tenant-' || g, 'UTF8')), 1, 4), 'hex'))::bit(32)::bigint % 10000 < 500)::int as on_count
          from generate_series(0, ${last}::int) g`),
      );
      const inlineOn = onCount;
      const bucketRates = await timeQuery(() =>
        countOn(database.sql`
          select count(*) filter (where public.flag_bucket('DLQ_ENABLED', 'tenant-' || g) < 500)::int as on_count
          from generate_series(0, ${last}::int) g`),
      );
      const bucketOn = onCount;
      const expectedOn = Math.round((runs.node?.coreOnShare ?? 0) * subjectCount);
      if (new Set([inlineOn, bucketOn, expectedOn]).size !== 1) {
        throw new Error(`subjects on at 5 %: inline SQL ${inlineOn}, flag_bucket ${bucketOn}, TypeScript core ${expectedOn}: the rules disagree`);
      }
      // The form for many rows in one statement (the watchdog's scan): the flag's row read once,
      // flag_bucket compared with its threshold per row, flag_enabled's short cuts and its answers
      // for an unknown flag (no row: off) and a null subject (off) kept.
      const readOnceRates = await timeQuery(() =>
        countOn(database.sql`
          select count(*) filter (where case when f.threshold >= 10000 then s.subject is not null
                                             else public.flag_bucket(f.bucket_group, s.subject) < f.threshold end)::int as on_count
          from (select 'tenant-' || g as subject from generate_series(0, ${last}::int) g) s
          left join (select bucket_group, round(rollout_percentage * 100) as threshold
                     from public.feature_flags
                     where key = 'DLQ_ENABLED' and enabled and round(rollout_percentage * 100) > 0) f on true`),
      );
      if (onCount !== expectedOn) throw new Error(`subjects on at 5 %: flag read once ${onCount}, TypeScript core ${expectedOn}: the rules disagree`);
      // flag_enabled costs several times flag_bucket per call (it reads feature_flags each time, in a
      // function Postgres cannot inline): a tenth of the subjects keeps the run short; its rate per
      // subject is what is reported.
      const enabledSubjects = Math.floor(subjectCount / 10);
      const enabledRates = await repeat(settings.runs, async () => {
        const started = performance.now();
        const rows = await database.sql`
          select count(*) filter (where public.flag_enabled('DLQ_ENABLED', 'tenant-' || g))::int as on_count
          from generate_series(0, ${enabledSubjects - 1}::int) g`;
        const seconds = (performance.now() - started) / 1000;
        const [sameAsBucket] = await database.sql`
          select count(*) filter (where public.flag_bucket('DLQ_ENABLED', 'tenant-' || g) < 500)::int as on_count
          from generate_series(0, ${enabledSubjects - 1}::int) g`;
        if (rows[0]!.on_count !== sameAsBucket!.on_count) throw new Error(`flag_enabled put ${rows[0]!.on_count as number} subjects on, flag_bucket ${sameAsBucket!.on_count as number}`);
        return enabledSubjects / seconds;
      });
      book.add({
        id: "core.sql.inline",
        label: `PostgreSQL: the rule inline in one query (reference: one SHA-256 per subject, no function call), ${subjects} subjects`,
        unit: "evals/s",
        samples: inlineRates,
      });
      book.add({
        id: "core.sql.bucket",
        label: `PostgreSQL: flag_bucket(), ${subjects} subjects in one query`,
        unit: "evals/s",
        samples: bucketRates,
        baselineId: "core.sql.inline",
        note: `same ${expectedOn.toLocaleString("en-US")} subjects on at 5 % as the TypeScript core`,
      });
      book.add({
        id: "core.sql.read-once",
        label: `PostgreSQL: many rows in one query as the watchdog does it: the flag's row read once, flag_bucket() per subject, ${subjects} subjects`,
        unit: "evals/s",
        samples: readOnceRates,
        baselineId: "core.sql.inline",
        note: "what Postgres allows for a flag checked per row; flag_enabled below is the one-subject call",
      });
      book.add({
        id: "core.sql.enabled",
        label: `PostgreSQL: flag_enabled() (reads feature_flags per call), ${Math.floor(subjectCount / 10).toLocaleString("en-US")} subjects in one query`,
        unit: "evals/s",
        samples: enabledRates,
        baselineId: "core.sql.inline",
        target: ratioTarget({ min: 0.5 }),
      });
    } finally {
      await database.drop();
    }
  },
};
