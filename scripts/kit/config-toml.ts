// Adds the feature-flags function's block to a project's supabase/config.toml as text: the block is
// appended and nothing else in the file changes (no re-serialising, so comments, order and
// formatting stay the user's). Pure.

export const FUNCTION_BLOCK_HEADER = "[functions.feature-flags]";

const EXISTING_HEADER = /^\s*\[\s*functions\s*\.\s*(feature-flags|"feature-flags")\s*\]/m;

export const FUNCTION_BLOCK = `${FUNCTION_BLOCK_HEADER}
# The function authenticates callers itself (publishable key, secret key or user JWT),
# so the gateway must not reject requests that carry an API key instead of a JWT.
# Its code is supabase/functions/feature-flags/index.ts (the default entrypoint).
verify_jwt = false
`;

/** The file with the block appended; unchanged when it already has a [functions.feature-flags] table. */
export function withFunctionBlock(toml: string): string {
  if (EXISTING_HEADER.test(toml)) return toml;
  const separator = toml === "" ? "" : toml.endsWith("\n\n") ? "" : toml.endsWith("\n") ? "\n" : "\n\n";
  return `${toml}${separator}${FUNCTION_BLOCK}`;
}
