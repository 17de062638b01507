// Where the project's files are, independent of the caller's working directory.
import { fileURLToPath } from "node:url";
import path from "node:path";

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const SUPABASE_DIR = path.join(PROJECT_ROOT, "supabase");
export const MIGRATIONS_DIR = path.join(SUPABASE_DIR, "migrations");
export const ROLLBACK_DIR = path.join(SUPABASE_DIR, "rollback");
export const VERIFY_DIR = path.join(SUPABASE_DIR, "verify");
export const PLATFORM_BOOTSTRAP_SQL = path.join(SUPABASE_DIR, "bootstrap", "platform.sql");
export const BIN_DIR = path.join(PROJECT_ROOT, "node_modules", ".bin");
