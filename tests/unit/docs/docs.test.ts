// The docs cannot drift from the code: every relative link, `npm run` script, ops and kit command,
// and repository file named in README.md and docs/*.md must exist. Pure file reads, no database.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { OPS_COMMANDS } from "../../../scripts/ops/commands/index.ts";
import { KIT_USAGE } from "../../../scripts/kit/run-kit.ts";
import { MANIFEST_PATH } from "../../../scripts/kit/kit-manifest.ts";
import { ADAPT_SLUG } from "../../../scripts/kit/adapt-qc-jobs.ts";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const README_MAX_BYTES = 8 * 1024;

// Paths the docs name in a USER's project after `npm run kit -- add`, not in this repository.
// The kit's manifest is written there by the kit (its name comes from the code that writes it);
// `supabase/functions/<rest>` is this repository's `functions/<rest>`, which `kit add` copies
// there (scripts/kit/add-to-project.ts), so it is checked against `functions/<rest>` instead.
const USER_PROJECT_FILES = new Set([MANIFEST_PATH]);
const USER_PROJECT_FUNCTIONS = "supabase/functions/";
// `kit add` also writes migrations stamped after the user's own history: the kit's migrations under
// a new version, plus the one that adapts the user's qc_jobs. Such a name is accepted when this
// repository has a file of the same slug in the same folder, or the slug is the adapting one.
const USER_PROJECT_MIGRATION = /^supabase\/(migrations|rollback|verify)\/\d{14}_(\w+)\.sql$/;

// Files and folders a command writes on the user's machine (git-ignored), each with the code that
// writes it: the check is that this code still names the file (or the folder's path).
const GENERATED_FILES = new Map([
  [".data/local-keys.json", "scripts/local/start.ts"],
  ["bench/tmp/", "bench/profile.ts"],
]);

// A backticked word is taken for a repository path when it starts with one of these folders, or
// contains a slash and ends in a file extension.
const REPOSITORY_FOLDERS = ["supabase/", "scripts/", "functions/", "client/", "examples/", "tests/", "bench/", "docs/", ".ci/"];

interface Doc {
  file: string; // relative to the repository, e.g. "docs/app-code.md"
  text: string;
}

function readDocs(root: string): Doc[] {
  const docs = readdirSync(path.join(root, "docs"))
    .filter((name) => name.endsWith(".md"))
    .map((name) => `docs/${name}`);
  return ["README.md", ...docs].map((file) => ({ file, text: readFileSync(path.join(root, file), "utf8") }));
}

function npmScripts(root: string): Set<string> {
  const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: Record<string, string> };
  return new Set(Object.keys(pkg.scripts));
}

/** The kit's commands, as its --help lists them under "Commands:". */
function kitCommands(usage: string): Set<string> {
  const section = usage.slice(usage.indexOf("Commands:"));
  return new Set([...section.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((m) => m[1]!));
}

interface Link {
  target: string; // "" for a link inside the same page
  anchor?: string;
  line: number;
}

/** The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces to dashes. */
function headingAnchors(text: string): Set<string> {
  const anchors = new Set<string>();
  for (const m of withoutFences(text).matchAll(/^#{1,6} (.+)$/gm)) {
    const slug = m[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replace(/ /g, "-");
    let unique = slug;
    for (let n = 1; anchors.has(unique); n++) unique = `${slug}-${n}`;
    anchors.add(unique);
  }
  return anchors;
}

/** Markdown link targets outside code, with their line numbers. */
function relativeLinks(text: string): Link[] {
  const links: Link[] = [];
  withoutCode(text).split("\n").forEach((line, index) => {
    for (const m of line.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1]!;
      if (/^(https?:|mailto:)/.test(target)) continue;
      const [file = "", anchor] = target.split("#");
      links.push({ target: file, anchor, line: index + 1 });
    }
  });
  return links;
}

/** Blanks fenced blocks and inline code, keeping line numbers. */
function withoutCode(text: string): string {
  return text
    .replace(/^```[\s\S]*?^```/gm, (block) => block.replace(/[^\n]/g, " "))
    .replace(/`[^`\n]*`/g, (code) => " ".repeat(code.length));
}

/** Words that name a repository file: inside inline code, or anywhere in a fenced block. */
function pathMentions(text: string): string[] {
  const inline = [...withoutFences(text).matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);
  const fenced = [...text.matchAll(/^```[^\n]*\n([\s\S]*?)^```/gm)].flatMap((m) => m[1]!.split(/\s+/));
  const words = [...inline, ...fenced.filter((w) => REPOSITORY_FOLDERS.some((f) => clean(w).startsWith(f)))];
  return words.map(clean).filter(looksLikeRepositoryPath);
}

function withoutFences(text: string): string {
  return text.replace(/^```[\s\S]*?^```/gm, "");
}

// Quotes, a leading "./" and trailing punctuation are not part of a path written in code.
function clean(word: string): string {
  return word.replace(/^["'(]+/, "").replace(/^\.\//, "").replace(/["'),;:.]+$/, "");
}

function looksLikeRepositoryPath(word: string): boolean {
  // Placeholders (<version>), globs (*), URLs, env assignments and package names are not files.
  if (!/^[\w.-]+(\/[\w.-]*)+$/.test(word)) return false;
  return REPOSITORY_FOLDERS.some((f) => word.startsWith(f)) || /\/[^/]*\.[a-z]{1,5}$/.test(word);
}

function isUserProjectMigration(mention: string, root: string): boolean {
  const m = USER_PROJECT_MIGRATION.exec(mention);
  if (!m) return false;
  const [, folder = "", slug] = m;
  return slug === ADAPT_SLUG || readdirSync(path.join(root, "supabase", folder)).some((f) => f.endsWith(`_${slug}.sql`));
}

/** Every problem found in one doc, as "file:line? what". */
function checkDoc(doc: Doc, root: string, scripts: Set<string>, ops: Set<string>, kit: Set<string>): string[] {
  const problems: string[] = [];
  for (const { target, anchor, line } of relativeLinks(doc.text)) {
    const resolved = target === "" ? doc.file : path.relative(root, path.resolve(root, path.dirname(doc.file), target));
    if (!existsSync(path.join(root, resolved))) {
      problems.push(`${doc.file}:${line} links to ${target}, which does not exist`);
      continue;
    }
    if (anchor && resolved.endsWith(".md") && !headingAnchors(readFileSync(path.join(root, resolved), "utf8")).has(anchor)) {
      problems.push(`${doc.file}:${line} links to ${target}#${anchor}, a heading that does not exist`);
    }
  }
  for (const m of doc.text.matchAll(/\bnpm (?:run(?: -s)? ([a-z][\w:<>-]*)|(start|test)\b)/g)) {
    const script = m[1] ?? m[2] ?? "";
    if (script.includes("<")) continue; // a placeholder such as ops:<command>
    if (!scripts.has(script)) problems.push(`${doc.file}: "npm run ${script}": no such script in package.json`);
  }
  for (const m of doc.text.matchAll(/\bnpm run (ops|kit) -- ([a-z][\w-]*)/g)) {
    const known = m[1] === "ops" ? ops : kit;
    if (!known.has(m[2] ?? "")) problems.push(`${doc.file}: "npm run ${m[1]} -- ${m[2]}": no such ${m[1]} command`);
  }
  for (const mention of pathMentions(doc.text)) {
    if (USER_PROJECT_FILES.has(mention) || isUserProjectMigration(mention, root)) continue;
    const writer = GENERATED_FILES.get(mention);
    if (writer) {
      const name = mention.endsWith("/") ? mention.slice(0, -1) : path.basename(mention);
      if (!existsSync(path.join(root, writer)) || !readFileSync(path.join(root, writer), "utf8").includes(name)) {
        problems.push(`${doc.file}: \`${mention}\` is no longer written by ${writer}`);
      }
      continue;
    }
    const inRepository = mention.startsWith(USER_PROJECT_FUNCTIONS)
      ? `functions/${mention.slice(USER_PROJECT_FUNCTIONS.length)}`
      : mention;
    if (!existsSync(path.join(root, inRepository))) problems.push(`${doc.file}: \`${mention}\` does not exist`);
  }
  return problems;
}

describe("docs", () => {
  const docs = readDocs(ROOT);
  const scripts = npmScripts(ROOT);
  const ops = new Set(OPS_COMMANDS.map((c) => c.name));
  const kit = kitCommands(KIT_USAGE);

  it("reads the command tables it checks against", () => {
    expect(ops).toContain("deploy");
    expect(kit).toEqual(new Set(["add", "render-own"]));
    const pages = docs.map((d) => d.file);
    for (const page of ["app-code", "jobs-and-dlq", "adopting", "operating", "database", "benchmarks", "contributing"]) {
      expect(pages).toContain(`docs/${page}.md`);
    }
  });

  it("README.md stays a short entry point", () => {
    expect(Buffer.byteLength(readFileSync(path.join(ROOT, "README.md")))).toBeLessThanOrEqual(README_MAX_BYTES);
  });

  it("names only links, scripts, commands and files that exist", () => {
    const problems = docs.flatMap((doc) => checkDoc(doc, ROOT, scripts, ops, kit));
    expect(problems).toEqual([]);
  });

  it("finds each kind of drift", () => {
    const broken: Doc = {
      file: "docs/broken.md",
      text: [
        "See [the guide](missing-page.md) and [jobs](jobs-guarantees.md), [tests](contributing.md#tests), [runbook](operating.md#no-such-heading).",
        "Run `npm run no-such-script` and `npm run ops -- launch` and `npm run kit -- remove`.",
        "Edit `scripts/ops/no-such-file.ts` or `client/job-worker.ts`; copy `supabase/functions/feature-flags/nope.ts`.",
        "```sh",
        "npx tsx examples/no-such-example.ts",
        "  create supabase/migrations/20270101000000_create_job_dlq.sql",
        "  create supabase/verify/20270101000000_no_such_slug.sql",
        "```",
      ].join("\n"),
    };
    expect(checkDoc(broken, ROOT, scripts, ops, kit)).toEqual([
      "docs/broken.md:1 links to missing-page.md, which does not exist",
      "docs/broken.md:1 links to operating.md#no-such-heading, a heading that does not exist",
      'docs/broken.md: "npm run no-such-script": no such script in package.json',
      'docs/broken.md: "npm run ops -- launch": no such ops command',
      'docs/broken.md: "npm run kit -- remove": no such kit command',
      "docs/broken.md: `scripts/ops/no-such-file.ts` does not exist",
      "docs/broken.md: `supabase/functions/feature-flags/nope.ts` does not exist",
      "docs/broken.md: `examples/no-such-example.ts` does not exist",
      "docs/broken.md: `supabase/verify/20270101000000_no_such_slug.sql` does not exist",
    ]);
  });
});
