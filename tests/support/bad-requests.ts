// Generated requests for fuzzing the function: odd methods, paths, query strings, bodies and
// headers, from a fixed seed (the same requests every run).

export function* badRequests(base: string, keys: { publishable: Record<string, string>; secret: Record<string, string> }, count: number, seed = 42): Generator<Request> {
  let state = seed;
  const random = () => (state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const junk = ["", "%", "%E0%A4%A", "a%00b", "é".repeat(200), "🚀", "' or 1=1 --", "\\", "x".repeat(5000), "DLQ_ENABLED", "null", "[]", "{}", "%ZZ", "..", "ofrep"];
  const paths = ["", "/", "/DLQ_ENABLED", "/health", "/ofrep/v1/evaluate/flags", "/ofrep/v1/evaluate/flags/DLQ_ENABLED", "/ofrep/v1/evaluate", "//", "/%2F"];
  const bodies = [undefined, "", "null", "[]", "{", '{"context":null}', '{"context":{"targetingKey":null}}', '{"context":{"targetingKey":{}}}', '{"enabled":null}', '{"rollout_percentage":1e309}', '{"enabled":"true"}', "\u0000", "x".repeat(70_000)];
  const headerSets: Record<string, string>[] = [
    keys.publishable, keys.secret, {}, { apikey: "" }, { authorization: "Bearer " }, { authorization: "Basic abc" },
    { authorization: `Bearer ${"a".repeat(3000)}` }, { ...keys.publishable, "if-none-match": "*" }, { ...keys.publishable, "content-type": "text/plain" },
  ];
  for (let i = 0; i < count; i++) {
    const method = pick(["GET", "POST", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS"]);
    const query = random() < 0.8 ? `?subject=${pick(junk)}${random() < 0.3 ? `&subject=${pick(junk)}` : ""}` : `?${pick(junk)}`;
    const path = random() < 0.8 ? pick(paths) : `/${pick(junk)}`;
    const body = method === "GET" || method === "HEAD" ? undefined : pick(bodies);
    yield new Request(`${base}${path}${query}`, { method, headers: pick(headerSets), body });
  }
}
