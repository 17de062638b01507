// The kit's app-side TypeScript, imported by name: `import { createJobWorker } from
// "@supabase-reliability-kit/client"`. Each module has one job:
//   job-worker.ts        the worker helper: claim, heartbeat, complete or fail, survive outages
//   job-rpc.ts           one typed call per worker RPC of the database (claim_jobs, heartbeat_job, ...)
//   dlq-operations.ts    retry, discard and redrive of dead-lettered jobs, with the actor recorded
//   job-subject.ts       the subject a job is bucketed by for feature flags
//   transient-errors.ts  which database errors are retried, and the backoff between tries
// The modules are TypeScript sources (the package is part of this repository's workspace): run
// them with tsx, Deno or a bundler.
export {
  createJobWorker,
  DatabaseUnreachableError,
  JobLostError,
  NonRetryableJobError,
  type CompletionEffect,
  type JobHandler,
  type JobRunOutcome,
  type JobWorker,
  type JobWorkerOptions,
} from "./job-worker.ts";
export {
  claimJobs,
  completeJob,
  failJob,
  heartbeatJob,
  reclaimStaleJobs,
  releaseJob,
  type ClaimedJob,
  type FailOptions,
  type FailOutcome,
  type HeartbeatReason,
  type HeartbeatResult,
  type ReclaimedJob,
} from "./job-rpc.ts";
export {
  discardDeadLetter,
  redriveDeadLetters,
  retryDeadLetter,
  type DiscardOutcome,
  type RedriveFilter,
  type RedriveProgress,
  type RetryOutcome,
} from "./dlq-operations.ts";
export { jobSubject, type JobSubjectFields } from "./job-subject.ts";
export { backoffDelayMs, DEFAULT_BACKOFF, isTransientError, type BackoffPolicy } from "./transient-errors.ts";
