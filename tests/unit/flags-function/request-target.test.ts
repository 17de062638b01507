// The lookup path's URL scan (functions/feature-flags/request-target.ts) gives exactly what the
// WHATWG parsers give, on plain URLs (its fast path) and on every kind it hands to them.
import { describe, expect, it } from "vitest";
import { queryParam, targetOf } from "../../../functions/feature-flags/request-target.ts";

const URLS = [
  "http://127.0.0.1:8000/feature-flags/DLQ_ENABLED?subject=tenant-1",
  "http://127.0.0.1:8000/feature-flags",
  "http://127.0.0.1:8000/feature-flags?",
  "http://127.0.0.1:8000/feature-flags/?subject=",
  "http://h/feature-flags//X?subject=a&subject=b",
  "http://h/feature-flags/./X?subject=a",
  "http://h/feature-flags/../feature-flags/X?subject=a",
  "http://h/feature-flags/%2e%2e/X?subject=a",
  "http://h/feature-flags/d%C3%A9j%C3%A0?subject=a",
  "http://h/feature-flags/déjà?subject=é",
  "http://h/feature-flags/a b?subject=a b",
  "http://h/feature-flags\\X?subject=a",
  "http://h/feature-flags/X#frag?subject=no",
  "http://h/feature-flags/X?subject=a#frag",
  "http://h/feature-flags/X?subject=a+b&x=1",
  "http://h/feature-flags/X?subject=%E2%9C%93%ZZ",
  "http://h/feature-flags/X?subjectx=1&xsubject=2",
  "http://h/feature-flags/X?a=1&subject&subject=2",
  "http://h/feature-flags/X?a=1&subject=x=y&b",
  "http://h/feature-flags/X?&&subject=z&&",
  "http://h/feature-flags/X?sub%6Aect=encoded-name",
  "http://h",
  "http://h?subject=q",
];

describe("request target", () => {
  it.each(URLS)("%s: pathname and subject as URL and URLSearchParams give them", (raw) => {
    const url = new Request(raw).url;
    const parsed = new URL(url);
    const target = targetOf(url);
    expect(target.pathname).toBe(parsed.pathname);
    expect(queryParam(target.query, "subject")).toBe(parsed.searchParams.get("subject"));
  });
});
