import { defineConfig } from "vitest/config";

// Two projects, both run by `npm test`:
// - unit: pure code (no database, no network, no child process); short timeouts so that a test
//   that starts waiting on something outside the process fails fast. `npm run test:unit`.
// - integration: every file starts its own database (and some start the CLI or Deno), so they get
//   time. tests/support/global-setup.ts pushes the migrations once, and the files that only need a
//   migrated database start from a copy of it (tests/support/pushed-database.ts).
// At most two files run at once on a two-core machine.
export default defineConfig({
  test: {
    pool: "forks",
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["tests/unit/**/*.test.ts"],
          testTimeout: 10_000,
          hookTimeout: 10_000,
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["tests/integration/**/*.test.ts"],
          globalSetup: ["tests/support/global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
