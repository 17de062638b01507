// The pathname and the `subject` query parameter of a request URL, without building a URL or a
// URLSearchParams object for the common case (a profile showed both on every lookup's path).
//
// Same answers as `new URL(url).pathname` and `new URLSearchParams(query).get(name)`: the string
// scan is used only when the text has nothing those parsers would change (a pathname of letters,
// digits, "_", "-" and "/"; a query without "%" or "+"); anything else goes to the real parsers.
// tests/unit/flags-function/request-target.test.ts compares both over tricky URLs.

export interface RequestTarget {
  pathname: string;
  /** The query without its "?" ("" when there is none). */
  query: string;
}

const PLAIN_PATH = /^[A-Za-z0-9_\-/]*$/;

export function targetOf(url: string): RequestTarget {
  const scheme = url.indexOf("://");
  const pathStart = scheme < 0 ? -1 : url.indexOf("/", scheme + 3);
  if (pathStart >= 0) {
    const hash = url.indexOf("#", pathStart);
    const end = hash < 0 ? url.length : hash;
    const question = url.indexOf("?", pathStart);
    const pathEnd = question >= 0 && question < end ? question : end;
    const pathname = url.slice(pathStart, pathEnd);
    if (PLAIN_PATH.test(pathname)) return { pathname, query: pathEnd < end ? url.slice(pathEnd + 1, end) : "" };
  }
  const parsed = new URL(url);
  return { pathname: parsed.pathname, query: parsed.search.slice(1) };
}

/** The first value of `name` in `query`, decoded as URLSearchParams does; null when absent. */
export function queryParam(query: string, name: string): string | null {
  if (query.includes("%") || query.includes("+")) return new URLSearchParams(query).get(name);
  let start = 0;
  while (start <= query.length) {
    let end = query.indexOf("&", start);
    if (end < 0) end = query.length;
    const equals = query.indexOf("=", start);
    const nameEnd = equals >= 0 && equals < end ? equals : end;
    if (nameEnd - start === name.length && query.startsWith(name, start)) return nameEnd === end ? "" : query.slice(nameEnd + 1, end);
    start = end + 1;
  }
  return null;
}
