// Supabase's own linter (splinter, via `supabase db advisors`) finds nothing at WARN or ERROR on
// the pushed schema; a table without RLS is caught, so the check can fail.
import { describe, expect, it } from "vitest";
import { dbAdvisors } from "../../../scripts/shared/supabase-cli.ts";
import { usePushedDatabase } from "../../support/pushed-database.ts";

interface Lint {
  name: string;
  level: "INFO" | "WARN" | "ERROR";
  detail: string;
}

const db = usePushedDatabase({ regime: "legacy" });

async function lints(): Promise<{ exitCode: number; lints: Lint[]; output: string }> {
  const result = await dbAdvisors(db.url, "warn");
  const parsed = JSON.parse(result.stdout || '{"results":[]}') as { results: Lint[] };
  return { exitCode: result.exitCode, lints: parsed.results, output: result.output };
}

describe("supabase db advisors --type all --fail-on warn", () => {
  it("reports nothing at WARN or ERROR on our schema", async () => {
    const { exitCode, lints: found, output } = await lints();
    expect(found.filter((lint) => lint.level !== "INFO"), output).toEqual([]);
    expect(exitCode, output).toBe(0);
  });

  it("fails on a public table without RLS (the check is live)", async () => {
    await db.sql`create table public.advisor_probe (id int primary key)`;
    try {
      const { exitCode, lints: found } = await lints();
      expect(found.map((lint) => `${lint.level} ${lint.name}`)).toContain("ERROR rls_disabled_in_public");
      expect(exitCode).not.toBe(0);
    } finally {
      await db.sql`drop table public.advisor_probe`;
    }
  });
});
