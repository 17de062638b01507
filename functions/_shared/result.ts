// The one result shape of the functions' code: `{ data, error }`, exactly one of them set (the
// shape supabase-js and @supabase/server answer in). Callers test `error` and then use `data`.

export type Result<T, E = string> = { data: T; error: null } | { data: null; error: E };

export function ok<T>(data: T): { data: T; error: null } {
  return { data, error: null };
}

export function failure<E>(error: E): { data: null; error: E } {
  return { data: null, error };
}
