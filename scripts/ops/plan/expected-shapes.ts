// The objects the kit's migrations create, and the shape each must have if it already exists on
// the target (a conflict otherwise). Preflight compares these with the catalog; a name that is
// taken by something of another shape would make `create ... if not exists` silently keep the
// wrong object, so it stops the run before any migration.

export interface TableShape {
  kind: "table";
  name: string;
  /** column → format_type() of the columns the kit relies on. */
  columns: Record<string, string>;
}

export interface IndexShape {
  kind: "index";
  name: string;
  table: string;
  /** pg_get_indexdef() after "ON ": table, method, keys and predicate. */
  definition: string;
}

export interface TriggerShape {
  kind: "trigger";
  name: string;
  table: string;
  function: string;
}

export type ObjectShape = TableShape | IndexShape | TriggerShape;

const TZ = "timestamp with time zone";

export const EXPECTED_SHAPES: ObjectShape[] = [
  {
    kind: "table",
    name: "job_dlq",
    columns: {
      id: "uuid", job_id: "uuid", job_type: "text", payload: "jsonb", error_message: "text", error_details: "jsonb",
      attempts: "integer", first_failed_at: TZ, last_failed_at: TZ, review_status: "text", resolved_by: "text",
      resolved_at: TZ, resolution_note: "text", created_at: TZ, updated_at: TZ,
    },
  },
  {
    kind: "table",
    name: "feature_flags",
    columns: { key: "text", description: "text", enabled: "boolean", rollout_percentage: "numeric", bucket_group: "text", updated_at: TZ, updated_by: "text" },
  },
  {
    kind: "table",
    name: "feature_flag_audit",
    columns: { id: "bigint", flag_key: "text", operation: "text", old_row: "jsonb", new_row: "jsonb", actor: "text", db_role: "text", changed_at: TZ },
  },
  { kind: "index", name: "job_dlq_one_open_entry_per_job", table: "job_dlq", definition: "public.job_dlq USING btree (job_id) WHERE (review_status = ANY (ARRAY['pending'::text, 'retrying'::text]))" },
  { kind: "index", name: "job_dlq_review_status_created_at_idx", table: "job_dlq", definition: "public.job_dlq USING btree (review_status, created_at)" },
  { kind: "index", name: "job_dlq_job_type_last_failed_at_idx", table: "job_dlq", definition: "public.job_dlq USING btree (job_type, last_failed_at)" },
  { kind: "index", name: "job_dlq_job_id_idx", table: "job_dlq", definition: "public.job_dlq USING btree (job_id)" },
  { kind: "index", name: "idx_qc_jobs_heartbeat", table: "qc_jobs", definition: "public.qc_jobs USING btree (last_heartbeat_at)" },
  { kind: "index", name: "idx_qc_jobs_running_heartbeat", table: "qc_jobs", definition: "public.qc_jobs USING btree (COALESCE(last_heartbeat_at, started_at)) WHERE (status = 'running'::text)" },
  { kind: "index", name: "feature_flag_audit_flag_key_changed_at_idx", table: "feature_flag_audit", definition: "public.feature_flag_audit USING btree (flag_key, changed_at DESC)" },
  { kind: "trigger", name: "job_dlq_updated_at", table: "job_dlq", function: "update_job_dlq_updated_at" },
  { kind: "trigger", name: "feature_flags_stamp", table: "feature_flags", function: "feature_flags_stamp" },
  { kind: "trigger", name: "feature_flags_audit", table: "feature_flags", function: "feature_flags_audit" },
];

/** What the catalog says about one name in public (null fields: nothing by that name). */
export interface ObservedObject {
  name: string;
  /** pg_class.relkind of a relation with this name: r table, i index, v view, ... */
  relkind: string | null;
  /** format_type() per column, for a table. */
  columns: Record<string, string>;
  /** pg_get_indexdef() for an index. */
  indexdef: string | null;
  indexValid: boolean | null;
  /** For a trigger name: the table and function of each trigger so named. */
  triggers: Array<{ table: string; function: string }>;
}

export type CheckStatus = "ok" | "warn" | "fail";
export interface ShapeCheck {
  status: CheckStatus;
  message: string;
}

const RELKIND_NAMES: Record<string, string> = { r: "table", p: "partitioned table", i: "index", I: "partitioned index", v: "view", m: "materialized view", S: "sequence", f: "foreign table", c: "type" };

/** Pure: one expected object against what the catalog holds under its name. */
export function compareShape(expected: ObjectShape, observed: ObservedObject): ShapeCheck {
  const label = `${expected.kind} ${expected.name}`;
  if (expected.kind === "trigger") {
    if (observed.triggers.length === 0) return { status: "ok", message: `${label}: free` };
    const ours = observed.triggers.every((t) => t.table === expected.table && t.function === expected.function);
    return ours
      ? { status: "ok", message: `${label}: exists with our shape (on ${expected.table}, calls ${expected.function}())` }
      : { status: "fail", message: `${label}: name taken by ${observed.triggers.map((t) => `a trigger on ${t.table} calling ${t.function}()`).join(", ")}` };
  }
  if (!observed.relkind) return { status: "ok", message: `${label}: free` };
  const wanted = expected.kind === "table" ? "r" : "i";
  if (observed.relkind !== wanted) {
    return { status: "fail", message: `${label}: name taken by a ${RELKIND_NAMES[observed.relkind] ?? observed.relkind} public.${expected.name}` };
  }
  if (expected.kind === "table") {
    const wrong = Object.entries(expected.columns)
      .filter(([column, type]) => observed.columns[column] !== type)
      .map(([column, type]) => `${column} ${observed.columns[column] ? `is ${observed.columns[column]}, expected ${type}` : `missing (${type})`}`);
    return wrong.length === 0
      ? { status: "ok", message: `${label}: exists with our shape` }
      : { status: "fail", message: `${label}: exists with another shape: ${wrong.join("; ")}` };
  }
  const definition = observed.indexdef?.replace(/^CREATE (UNIQUE )?INDEX \S+ ON /, "") ?? "";
  if (definition !== expected.definition) {
    return { status: "fail", message: `${label}: exists with another definition: ${definition} (expected ${expected.definition})` };
  }
  if (observed.indexValid === false) {
    return { status: "warn", message: `${label}: exists but INVALID (an interrupted concurrent build); the migration drops and rebuilds it` };
  }
  return { status: "ok", message: `${label}: exists with our shape` };
}

/** The heartbeat column: absent, or a nullable timestamptz without default. */
export function compareHeartbeatColumn(column: { type: string; notNull: boolean; hasDefault: boolean } | null): ShapeCheck {
  if (!column) return { status: "ok", message: "column qc_jobs.last_heartbeat_at: absent (the migration adds it)" };
  if (column.type === TZ && !column.notNull && !column.hasDefault) {
    return { status: "ok", message: "column qc_jobs.last_heartbeat_at: exists with our shape (nullable timestamptz, no default)" };
  }
  return {
    status: "fail",
    message: `column qc_jobs.last_heartbeat_at: exists as ${column.type}${column.notNull ? " not null" : ""}${column.hasDefault ? " with a default" : ""}; the kit needs a nullable timestamptz without default`,
  };
}
