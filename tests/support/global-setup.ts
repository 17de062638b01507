// Once per run of the integration tests: the kit's migrations pushed by the real CLI into one
// database, kept as the template that tests/support/pushed-database.ts copies for each test file.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { dropTemplate, pushNewDatabase, toTemplate } from "./test-database.ts";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const folder = mkdtempSync(path.join(tmpdir(), "rrk-pushed-template-"));
  const template = await toTemplate(await pushNewDatabase(), path.join(folder, "pushed.tar"));
  project.provide("pushedTemplate", template);
  return async () => {
    await dropTemplate(template);
    rmSync(folder, { recursive: true, force: true });
  };
}
