// Routing's shortcuts for the lookups' usual paths (functions/feature-flags/routes.ts) give the
// route the path's segments give, for every method, on those paths and on ones that only look
// like them (they go the general way).
import { describe, expect, it } from "vitest";
import { routeBySegments, routeOf } from "../../../functions/feature-flags/routes.ts";

const METHODS = ["GET", "HEAD", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"];
const OFREP = "/feature-flags/ofrep/v1/evaluate/flags";
const PATHS = [
  "/feature-flags",
  "/feature-flags/",
  "//feature-flags",
  "/feature-flagsX",
  "/feature-flags/DLQ_ENABLED",
  "/feature-flags/health",
  "/feature-flags/a.b~c-d_e",
  OFREP,
  `${OFREP}/`,
  `${OFREP}//`,
  `${OFREP}x`,
  `${OFREP}/DLQ_ENABLED`,
  `${OFREP}/DLQ_ENABLED/`,
  `${OFREP}/DLQ_ENABLED/extra`,
  `${OFREP}/health`,
  `${OFREP}/%44LQ_ENABLED`,
  `${OFREP}/%zz`,
  `${OFREP}/a.b~c-d_e`,
  `${OFREP}/d%C3%A9j%C3%A0`,
  "/feature-flags/ofrep/v1/evaluate",
  "/feature-flags//ofrep/v1/evaluate/flags/X",
  "/feature-flags/ofrep/v2/evaluate/flags",
  "/other",
  "/",
  "",
];

describe("routeOf", () => {
  it.each(PATHS)("gives the route of the path's segments for %j", (pathname) => {
    for (const method of METHODS) expect(routeOf(method, pathname), method).toEqual(routeBySegments(method, pathname));
  });

  it("recognizes the lookups' usual paths", () => {
    expect(routeOf("GET", "/feature-flags")).toEqual({ kind: "list" });
    expect(routeOf("POST", OFREP)).toEqual({ kind: "ofrep_bulk" });
    expect(routeOf("POST", `${OFREP}/DLQ_ENABLED`)).toEqual({ kind: "ofrep_flag", key: "DLQ_ENABLED" });
    expect(routeOf("GET", OFREP)).toEqual({ kind: "method_not_allowed", allow: ["POST", "OPTIONS"] });
  });
});
