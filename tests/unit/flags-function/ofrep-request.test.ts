// Reading OFREP's targetingKey (functions/feature-flags/ofrep.ts): the body every client sends is
// read without JSON.parse, and gives exactly what parsing it gives, as do the bodies that only
// look like it (they are parsed).
import { describe, expect, it } from "vitest";
import { parseOfrepJson, parseOfrepRequest } from "../../../functions/feature-flags/ofrep.ts";

const body = (key: string) => `{"context":{"targetingKey":"${key}"}}`;
const BODIES = [
  body("tenant-1"),
  body(""),
  body("x".repeat(256)),
  body("x".repeat(257)),
  body("é".repeat(85)),
  body("é".repeat(86)),
  body("日本語 🚀"),
  body("lone-\ud800-surrogate"),
  body("del-\u007f-and-\u2028"),
  body("tab\there"),
  body("nul\u0000"),
  body('quote\\"d'),
  body("back\\\\slash"),
  body("\\u0041-escaped"),
  body("bad\\escape"),
  body("unterminated\\"),
  '{"context":{"targetingKey":"a"}} ',
  ' {"context":{"targetingKey":"a"}}',
  '{"context": {"targetingKey": "a"}}',
  '{"context":{"targetingKey":"a","plan":"pro"}}',
  '{"context":{"targetingKey":"a"},"extra":1}',
  '{"context":{"targetingKey":"a"}}}',
  '{"context":{"targetingKey":"a"}',
  '{"context":{"targetingKey":"a"}}\n',
  '{"context":{"targetingKey":"a"}}{}',
  '{"context":{"targetingKey":1}}',
  '{"context":{"targetingKey":null}}',
  '{"context":{}}',
  '{"context":"x"}',
  "{}",
  "",
  "  ",
  "[]",
  "null",
];

describe("parseOfrepRequest", () => {
  it.each(BODIES)("reads %j as parsing it does", (text) => {
    expect(parseOfrepRequest({ data: text, error: null })).toEqual(parseOfrepJson(text));
  });

  it("takes the subject from the usual body, and refuses a body that could not be read", () => {
    expect(parseOfrepRequest({ data: body("tenant-1"), error: null })).toEqual({ data: "tenant-1", error: null });
    expect(parseOfrepRequest({ data: null, error: "too_large" }).error?.errorCode).toBe("PARSE_ERROR");
  });
});
