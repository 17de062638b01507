// Versions for the migrations the kit adds to a project, the way `supabase migration new` stamps
// them: the current UTC time as YYYYMMDDHHMMSS. Each must sort after every version the project
// (and its database) already has, or `supabase db push` refuses without --include-all and a
// from-scratch replay would run the kit before the project's own qc_jobs exists. Pure.

const VERSION = /^\d{14}$/;

export function versionOf(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, "").slice(0, 14);
}

function dateOf(version: string): Date {
  const [y, mo, d, h, mi, s] = [0, 4, 6, 8, 10, 12].map((at, i) => Number(version.slice(at, at + (i === 0 ? 4 : 2))));
  return new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, s!));
}

/** count versions, one second apart, the first at now or one second after the latest existing one. */
export function nextVersions(existing: Array<string | null>, now: Date, count: number): string[] {
  const latest = existing.filter((v): v is string => v !== null && VERSION.test(v)).sort().at(-1);
  let next = new Date(Math.floor(now.getTime() / 1000) * 1000);
  if (latest !== undefined && versionOf(next) <= latest) next = new Date(dateOf(latest).getTime() + 1000);
  return Array.from({ length: count }, (_, i) => versionOf(new Date(next.getTime() + i * 1000)));
}

/** The 14-digit versions of the migration file names in a supabase/migrations folder. */
export function versionsOf(fileNames: string[]): string[] {
  return fileNames.map((name) => /^(\d{14})_/.exec(name)?.[1]).filter((v): v is string => v !== undefined);
}
