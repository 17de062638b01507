// The subject a job is bucketed by for feature flags: its owner or tenant, else its own id.
//
// The database uses the same rule (public.job_flag_subject(tenant_id, id)) when its RPCs and the
// watchdog gate on DLQ_ENABLED and JOB_HEARTBEAT, so asking the feature-flags function about
// jobSubject(job) gives the answer the database acts on.
export interface JobSubjectFields {
  id: string;
  tenant_id?: string | null;
}

export function jobSubject(job: JobSubjectFields): string {
  return job.tenant_id ?? job.id;
}
