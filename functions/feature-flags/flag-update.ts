// Validates a PATCH /feature-flags/<KEY> body: a JSON object with `enabled` (boolean) and/or
// `rollout_percentage` (0 to 100 in steps of 0.01), nothing else.

import { validateRolloutPercentage } from "../_shared/rollout.ts";
import { fail, ok, type ApiResult } from "./errors.ts";
import type { FlagPatch } from "./flag-database.ts";

const ALLOWED_FIELDS = new Set(["enabled", "rollout_percentage"]);

export function parseFlagChange(bodyText: string): ApiResult<FlagPatch> {
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    return fail("invalid_body", "the body must be JSON, e.g. {\"enabled\": true, \"rollout_percentage\": 5}");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return fail("invalid_body", "the body must be a JSON object with enabled and/or rollout_percentage");
  }
  const fields = body as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((field) => !ALLOWED_FIELDS.has(field));
  if (unknown.length > 0) {
    return fail("invalid_body", `unknown field(s) ${unknown.map((f) => JSON.stringify(f.slice(0, 40))).join(", ")}: only enabled and rollout_percentage can be set`);
  }
  const change: FlagPatch = {};
  if ("enabled" in fields) {
    if (typeof fields.enabled !== "boolean") return fail("invalid_body", "enabled must be true or false");
    change.enabled = fields.enabled;
  }
  if ("rollout_percentage" in fields) {
    const percentage = validateRolloutPercentage(fields.rollout_percentage);
    if (percentage.error !== null) return fail("invalid_body", percentage.error.replace("rollout percentage", "rollout_percentage"));
    change.rolloutPercentage = percentage.data;
  }
  if (change.enabled === undefined && change.rolloutPercentage === undefined) {
    return fail("invalid_body", "set enabled and/or rollout_percentage");
  }
  return ok(change);
}
