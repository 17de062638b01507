// Renders a kit SQL template (supabase/templates/<kind>/<slug>.sql) for one qc_jobs shape.
// Pure: text and shape in, text out. The placeholders, and what each renders to with the kit's
// own shape, are listed in PLACEHOLDERS (docs/adopting.md documents the same list).
import { sqlLiteral, STATUS_ROLES, type JobShape, type StatusRole } from "./job-shape.ts";
import { KIT_COLUMNS } from "./infer-shape.ts";

export class TemplateError extends Error {}

/** {{name}}, {{name.role}} or {{name:alias}}. */
const PLACEHOLDER = /\{\{([a-z_]+)(?:\.([a-z_]+)|:([a-z_][a-z0-9_]*))?\}\}/g;

export interface PlaceholderDoc {
  placeholder: string;
  meaning: string;
}

export const PLACEHOLDERS: PlaceholderDoc[] = [
  { placeholder: "{{job_id_type}}", meaning: "SQL type of qc_jobs.id: uuid, bigint, integer or text (kit: uuid)" },
  { placeholder: "{{status.<state>}}", meaning: "the table's word for a state as a quoted literal; null for a cancelled state the table lacks (kit: 'pending' ...)" },
  { placeholder: "{{status_word.<state>}}", meaning: "the same word escaped for use inside a quoted literal, e.g. like '%{{status_word.running}}%'" },
  { placeholder: "{{job_subject:<alias>}}", meaning: "flag subject of the job row <alias> (kit: public.job_flag_subject(<alias>.tenant_id, <alias>.id))" },
  { placeholder: "{{job_subject_expression:<alias>}}", meaning: "the same subject as {{job_subject}}, written inline: no function call per row (kit: coalesce(<alias>.tenant_id, <alias>.id::text))" },
  { placeholder: "{{job_subject_rule}}", meaning: "the body of public.job_flag_subject(tenant_id, job_id): coalesce(tenant_id, job_id::text)" },
  { placeholder: "{{job_subject_columns:<alias>}}", meaning: "the columns {{job_subject}} reads, for a select list (kit: <alias>.tenant_id, <alias>.id)" },
  { placeholder: "{{job_insert_overriding}}", meaning: "' overriding system value' when the id is generated always as identity, else empty: follows an insert's column list" },
  { placeholder: "{{new_job_id}}", meaning: "an expression giving an unused job id (kit: gen_random_uuid())" },
  { placeholder: "{{new_job_id_column}} {{new_job_id_value}}", meaning: "'id, ' and '<new id>, ' where the id has no default, else empty: prefixes of an insert's columns and values" },
  { placeholder: "{{new_job_status_column}} {{new_job_status_value}}", meaning: "'status, ' and '<pending word>, ' where the status default is not the pending word, else empty" },
  { placeholder: "{{skip_unless_jobs_insertable}}", meaning: "first statement of a verify check's DO block that inserts jobs: ends the check as skipped (kit_verify.skipped, and a notice) when qc_jobs has a NOT NULL column without a default that the kit does not know" },
];

/** Sets kit_verify.skipped and leaves the DO block when a job insert cannot fill some column. */
function skipUnlessJobsInsertable(): string {
  const known = ["id", "status", "last_heartbeat_at", ...KIT_COLUMNS.map((c) => c.name)].map(sqlLiteral).join(", ");
  return `-- A job insert fills only the kit's columns: with a NOT NULL column of the app's own and no
  -- default (a foreign key, a tenant), no insert can succeed, so the check says why it skipped.
  perform pg_catalog.set_config('kit_verify.skipped', coalesce(
    'qc_jobs.' || (select pg_catalog.string_agg(a.attname, ', qc_jobs.' order by a.attnum)
                   from pg_catalog.pg_attribute a
                   left join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
                   where a.attrelid = 'public.qc_jobs'::regclass and a.attnum > 0 and not a.attisdropped
                     and a.attnotnull and d.adbin is null and a.attidentity = '' and a.attgenerated = ''
                     and a.attname <> all (array[${known}]))
    || ': NOT NULL without a default, which this check cannot fill in the rows it inserts; skipped', ''), true);
  if pg_catalog.current_setting('kit_verify.skipped') <> '' then
    raise notice 'skipped: %', pg_catalog.current_setting('kit_verify.skipped');
    return;
  end if;`;
}

function statusRole(name: string, role: string | undefined): StatusRole {
  if (!role || !STATUS_ROLES.includes(role as StatusRole)) {
    throw new TemplateError(`{{${name}.${role ?? ""}}}: the state must be one of ${STATUS_ROLES.join(", ")}`);
  }
  return role as StatusRole;
}

/** The job's tenant as text, or null when qc_jobs has no tenant column. */
function subjectTenant(shape: JobShape, alias: string): string | null {
  if (shape.tenantColumn === null) return null;
  return shape.tenantColumnIsText ? `${alias}.${shape.tenantColumn}` : `${alias}.${shape.tenantColumn}::text`;
}

/**
 * The flag subject rule, the one place it is written: the tenant (text) when there is one, else the
 * job's own id as text. public.job_flag_subject's body and the inline expression both come from here.
 */
function subjectRule(tenantText: string | null, jobId: string): string {
  return tenantText === null ? `${jobId}::text` : `coalesce(${tenantText}, ${jobId}::text)`;
}

function newJobId(shape: JobShape): string {
  switch (shape.jobIdType) {
    case "uuid":
      return "gen_random_uuid()";
    case "text":
      return "gen_random_uuid()::text";
    default:
      return "(select coalesce(max(q.id), 0) + 1 from public.qc_jobs q)";
  }
}

function renderPlaceholder(shape: JobShape, name: string, role: string | undefined, alias: string | undefined): string {
  const needsAlias = () => {
    if (!alias) throw new TemplateError(`{{${name}:<alias>}} needs the job row's alias`);
    return alias;
  };
  const noSuffix = () => {
    if (role !== undefined || alias !== undefined) throw new TemplateError(`{{${name}}} takes no .state or :alias`);
  };
  switch (name) {
    case "job_id_type":
      noSuffix();
      return shape.jobIdType;
    case "status": {
      const word = shape.status[statusRole(name, role)];
      return word === null ? "null" : sqlLiteral(word);
    }
    case "status_word": {
      const state = statusRole(name, role);
      const word = shape.status[state];
      if (word === null) throw new TemplateError(`{{status_word.${state}}}: this table has no ${state} state`);
      return word.replaceAll("'", "''");
    }
    case "job_subject": {
      const row = needsAlias();
      return `public.job_flag_subject(${subjectTenant(shape, row) ?? "null"}, ${row}.id)`;
    }
    case "job_subject_expression": {
      const row = needsAlias();
      return subjectRule(subjectTenant(shape, row), `${row}.id`);
    }
    case "job_subject_rule":
      noSuffix();
      return subjectRule("tenant_id", "job_id");
    case "job_subject_columns": {
      const row = needsAlias();
      return shape.tenantColumn === null ? `${row}.id` : `${row}.${shape.tenantColumn}, ${row}.id`;
    }
    case "job_insert_overriding":
      noSuffix();
      return shape.jobIdDefault === "identity_always" ? " overriding system value" : "";
    case "new_job_id":
      noSuffix();
      return newJobId(shape);
    case "new_job_id_column":
      noSuffix();
      return shape.jobIdDefault === "none" ? "id, " : "";
    case "new_job_id_value":
      noSuffix();
      return shape.jobIdDefault === "none" ? `${newJobId(shape)}, ` : "";
    case "new_job_status_column":
      noSuffix();
      return shape.statusDefaultIsPending ? "" : "status, ";
    case "new_job_status_value":
      noSuffix();
      return shape.statusDefaultIsPending ? "" : `${sqlLiteral(shape.status.pending!)}, `;
    case "skip_unless_jobs_insertable":
      noSuffix();
      return skipUnlessJobsInsertable();
    default:
      throw new TemplateError(`unknown placeholder {{${name}}}`);
  }
}

/** The template with every placeholder replaced; an unknown or malformed one is an error naming it. */
export function renderTemplate(template: string, shape: JobShape, source = "template"): string {
  const rendered = template.replace(PLACEHOLDER, (_match, name: string, role?: string, alias?: string) => {
    try {
      return renderPlaceholder(shape, name, role, alias);
    } catch (error) {
      throw new TemplateError(`${source}: ${(error as Error).message}`);
    }
  });
  const leftover = /\{\{[^}]*\}\}/.exec(rendered);
  if (leftover) throw new TemplateError(`${source}: malformed placeholder ${leftover[0]}`);
  return rendered;
}
