// What every measurement group gets from the runner.
import type { ResultBook } from "./results.ts";

export interface BenchSettings {
  /** Repetitions of each figure (median, min and max are reported). */
  runs: number;
  /** HTTP: connections, warm-up and measured seconds per run. */
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  /** Distinct subjects for the evaluation core, the SQL rule and the memory figure. */
  subjects: number;
  /** Database at scale: rows in qc_jobs and how many of them are running. */
  jobRows: number;
  runningJobs: number;
}

export const DEFAULT_SETTINGS: BenchSettings = {
  runs: 3,
  connections: 32,
  warmupSeconds: 2,
  durationSeconds: 5,
  subjects: 1_000_000,
  jobRows: 1_000_000,
  runningJobs: 10_000,
};

export interface BenchContext {
  book: ResultBook;
  settings: BenchSettings;
  log(message: string): void;
}

export interface BenchGroup {
  title: string;
  run(context: BenchContext): Promise<void>;
}
