// From qc_jobs as the database describes it (and the user's answers) to the shape the kit's SQL is
// rendered for, plus the columns the kit must add. Pure: the catalog reading is in read-qc-jobs.ts.
// Every refusal names the column and what the kit needs of it, before any file is written.
import {
  DEFAULT_JOB_SHAPE,
  isPlainIdentifier,
  JOB_ID_TYPES,
  REQUIRED_STATUS_ROLES,
  ShapeError,
  STATUS_ROLES,
  validateShape,
  type JobIdType,
  type JobShape,
  type StatusRole,
} from "./job-shape.ts";
import { WORKER_GRANT } from "../shared/worker-privileges.ts";

export interface ObservedColumn {
  name: string;
  /** pg_catalog.format_type, e.g. "bigint", "text", "timestamp with time zone", "job_state". */
  type: string;
  /** The labels, in order, when the column's type is an enum. */
  enumLabels: string[] | null;
  notNull: boolean;
  /** The default expression (pg_get_expr), if any. */
  defaultExpr: string | null;
  /** pg_attribute.attidentity: "a" (always), "d" (by default) or "". */
  identity: string;
}

export interface ObservedTable {
  columns: ObservedColumn[];
  /** Whether a primary key or unique constraint/index covers exactly (id). */
  idIsUnique: boolean;
  /** The quoted words of CHECK constraints on status (null when there is none). */
  statusCheckWords: string[] | null;
  /** Whether an index leads with status (else the kit adds one on (status, run_after) for claim_jobs). */
  statusIndexed?: boolean;
  /** What service_role may not do of select, insert, update, delete on qc_jobs ([]: nothing; null: no such role). */
  serviceRoleMissing?: string[] | null;
}

export interface ShapeAnswers {
  /** --job-status: words per state. */
  statusWords?: Partial<Record<StatusRole, string>>;
  /** --tenant-column: a column, or null for "none" (bucket jobs by id); undefined: not given. */
  tenantColumn?: string | null;
}

/** A column the kit's RPCs read or write, with how it is added where the table lacks it. */
export interface KitColumn {
  name: string;
  /** The types an existing column may have. */
  accepts: string[];
  /** The kit writes null into it (so an existing column must be nullable). */
  writesNull: boolean;
  /** The column definition used by `add column`: nullable, or a non-volatile default (catalog only). */
  definition: string;
}

export const KIT_COLUMNS: KitColumn[] = [
  { name: "job_type", accepts: ["text", "character varying"], writesNull: false, definition: "text not null default 'default'" },
  { name: "payload", accepts: ["jsonb"], writesNull: false, definition: "jsonb not null default '{}'::jsonb" },
  { name: "attempts", accepts: ["integer", "smallint", "bigint"], writesNull: false, definition: "integer not null default 0" },
  { name: "max_attempts", accepts: ["integer", "smallint", "bigint"], writesNull: false, definition: "integer not null default 3" },
  { name: "locked_by", accepts: ["text", "character varying"], writesNull: true, definition: "text" },
  // now() is stable, not volatile: evaluated once when the column is added and kept in the
  // catalog as the value of existing rows, so the add is still catalog-only.
  { name: "run_after", accepts: ["timestamp with time zone"], writesNull: false, definition: "timestamptz not null default now()" },
  { name: "started_at", accepts: ["timestamp with time zone"], writesNull: true, definition: "timestamptz" },
  { name: "finished_at", accepts: ["timestamp with time zone"], writesNull: true, definition: "timestamptz" },
  { name: "last_error", accepts: ["text", "character varying"], writesNull: true, definition: "text" },
  { name: "updated_at", accepts: ["timestamp with time zone"], writesNull: false, definition: "timestamptz not null default now()" },
];

/** Columns people name their owner/tenant column, in the order they are suggested. */
const TENANT_CANDIDATES = ["tenant_id", "org_id", "organization_id", "account_id", "workspace_id", "team_id", "customer_id", "owner_id", "user_id"];

const TEXT_TYPES = ["text", "character varying"];
const ID_TYPE_OF: Record<string, JobIdType> = { uuid: "uuid", bigint: "bigint", integer: "integer", text: "text" };

/** What the adapt migration (adapt-qc-jobs.ts) adds to the project's qc_jobs. */
export interface Adaptation {
  /** Kit columns the table lacks, in KIT_COLUMNS order. */
  addColumns: KitColumn[];
  /** Whether to build qc_jobs_status_run_after_idx (no index of the table leads with status). */
  addClaimIndex: boolean;
}

export interface InferredShape extends Adaptation {
  shape: JobShape;
  /** Things the user should know (words taken as defaults, tenant candidates ignored...). */
  notes: string[];
}

const FLAG_HELP = "--job-status pending=<word>,running=<word>,completed=<word>,failed=<word>[,cancelled=<word>]";

function statusWords(table: ObservedTable, status: ObservedColumn, answers: ShapeAnswers, notes: string[]): Record<StatusRole, string | null> {
  const vocabulary = status.enumLabels ?? table.statusCheckWords;
  const given = answers.statusWords ?? {};
  const known = (word: string) => vocabulary === null || vocabulary.includes(word);
  const words = {} as Record<StatusRole, string | null>;
  const missing: StatusRole[] = [];
  for (const role of STATUS_ROLES) {
    const kitWord = DEFAULT_JOB_SHAPE.status[role]!;
    const word = given[role] ?? (known(kitWord) ? kitWord : null);
    if (word !== null && !known(word)) {
      throw new ShapeError(`--job-status ${role}=${word}: qc_jobs.status allows only ${vocabulary!.join(", ")}`);
    }
    if (word === null && REQUIRED_STATUS_ROLES.includes(role)) missing.push(role);
    words[role] = word;
  }
  if (missing.length > 0) {
    throw new ShapeError(
      `qc_jobs.status allows ${vocabulary!.join(", ")}: which of them means ${missing.join(", ")}? ` +
        `Pass ${FLAG_HELP}`,
    );
  }
  if (vocabulary === null && !answers.statusWords) {
    notes.push(`qc_jobs.status has no CHECK constraint or enum: assuming the kit's words (${STATUS_ROLES.join(", ")}); pass ${FLAG_HELP} if yours differ`);
  }
  return words;
}

function tenantColumn(table: ObservedTable, answers: ShapeAnswers): ObservedColumn | null {
  const byName = (name: string) => table.columns.find((c) => c.name === name);
  if (answers.tenantColumn === null) return null;
  if (answers.tenantColumn !== undefined) {
    const column = byName(answers.tenantColumn);
    if (!column) throw new ShapeError(`--tenant-column ${answers.tenantColumn}: qc_jobs has no such column`);
    if (!isPlainIdentifier(column.name)) throw new ShapeError(`--tenant-column ${column.name}: only plain lower-case column names are supported`);
    return column;
  }
  const tenantId = byName("tenant_id");
  if (tenantId) return tenantId;
  const candidates = TENANT_CANDIDATES.filter((name) => byName(name));
  if (candidates.length > 0) {
    throw new ShapeError(
      `qc_jobs has ${candidates.join(", ")}: should feature flags bucket a job by ${candidates.length === 1 ? "it" : "one of them"} (a tenant's jobs all together) or by the job's id? ` +
        `Pass --tenant-column ${candidates[0]} or --tenant-column none`,
    );
  }
  return null;
}

function idDefault(id: ObservedColumn): JobShape["jobIdDefault"] {
  if (id.identity === "a") return "identity_always";
  return id.identity === "d" || id.defaultExpr !== null ? "default" : "none";
}

/** The literal of a default such as 'queued'::text or 'queued'::job_state, else null. */
function defaultWord(expr: string | null): string | null {
  const match = expr === null ? null : /^'((?:[^']|'')*)'(::[\w." ]+)?$/.exec(expr.trim());
  return match ? match[1]!.replaceAll("''", "'") : null;
}

export function inferShape(table: ObservedTable, answers: ShapeAnswers = {}): InferredShape {
  const byName = (name: string) => table.columns.find((c) => c.name === name);
  const notes: string[] = [];
  const id = byName("id");
  if (!id) throw new ShapeError("qc_jobs has no id column: the kit's RPCs and job_dlq find a job by qc_jobs.id (uuid, bigint, integer or text)");
  const jobIdType = ID_TYPE_OF[id.type];
  if (!jobIdType) throw new ShapeError(`qc_jobs.id is ${id.type}: the kit supports ${JOB_ID_TYPES.join(", ")}`);
  if (!table.idIsUnique) throw new ShapeError("qc_jobs.id is neither the primary key nor unique: the kit needs one row per id");
  const status = byName("status");
  if (!status) throw new ShapeError("qc_jobs has no status column: the kit claims, completes and fails jobs by qc_jobs.status");
  if (!status.enumLabels && !TEXT_TYPES.includes(status.type)) {
    throw new ShapeError(`qc_jobs.status is ${status.type}: the kit needs text (with a CHECK of its words) or an enum`);
  }

  const addColumns: KitColumn[] = [];
  for (const kit of KIT_COLUMNS) {
    const column = byName(kit.name);
    if (!column) {
      addColumns.push(kit);
      continue;
    }
    if (!kit.accepts.includes(column.type)) {
      throw new ShapeError(`qc_jobs.${kit.name} is ${column.type}: the kit uses it as ${kit.accepts.join(" or ")}`);
    }
    if (kit.writesNull && column.notNull) {
      throw new ShapeError(`qc_jobs.${kit.name} is NOT NULL: the kit clears it (sets it to null) when a job is claimed again or retried`);
    }
  }

  // Every question about the status words and the tenant column at once, so one run gets every answer.
  const questions: string[] = [];
  const answered = <T>(decide: () => T): T | undefined => {
    try {
      return decide();
    } catch (error) {
      if (!(error instanceof ShapeError)) throw error;
      questions.push(error.message);
      return undefined;
    }
  };
  const words = answered(() => statusWords(table, status, answers, notes));
  const tenant = answered(() => tenantColumn(table, answers));
  if (questions.length === 1) throw new ShapeError(questions[0]!);
  if (questions.length > 1) throw new ShapeError(`${questions.length} answers needed:\n  - ${questions.join("\n  - ")}`);
  if (words === undefined || tenant === undefined) throw new Error("unreachable: an unanswered question was not reported");
  const shape = validateShape({
    jobIdType,
    jobIdDefault: idDefault(id),
    status: words,
    statusDefaultIsPending: defaultWord(status.defaultExpr) === words.pending,
    tenantColumn: tenant?.name ?? null,
    tenantColumnIsText: tenant !== null && tenant.type === "text",
  });
  if (tenant === null) notes.push("no tenant column: feature flags bucket each job by its own id");
  const missing = table.serviceRoleMissing;
  if (missing === null) {
    notes.push(
      "there is no role service_role in this database, so kit add could not check that it may select, insert, update and delete qc_jobs " +
        "(the kit's RPCs run with their caller's privileges). On plain PostgreSQL run the platform bootstrap before the push " +
        `(psql "$DB_URL" -f supabase/bootstrap/platform.sql, from the kit's checkout), then, unless your migrations grant it: ${WORKER_GRANT}`,
    );
  } else if (missing !== undefined && missing.length > 0) {
    notes.push(
      `service_role may not ${missing.join(", ")} qc_jobs: the kit's RPCs run with their caller's privileges ` +
        `and the kit leaves your grants alone, so grant them to the role your workers use (the secret key's role is service_role): ${WORKER_GRANT}`,
    );
  }
  return { shape, addColumns, addClaimIndex: table.statusIndexed === false, notes };
}
