/**
 * lib/publish/simple-yaml.ts reads the plainest front matter without the YAML parser; whatever it
 * accepts must mean exactly what the `yaml` package (YAML 1.2 core schema, as posts are parsed) reads,
 * and whatever it cannot be sure of it must hand back (undefined). Random front matter, tricky lines.
 */
import { describe, expect, it } from "vitest";
import { seededRandom } from "../../lib/harness/seeded-random.ts";
import { parseYamlText } from "../../lib/publish/posts.ts";
import { parseSimpleYaml } from "../../lib/publish/simple-yaml.ts";

const KEYS = ["date", "id", "language", "title", "a_b", "x1", "Date", "id ", "2x"];
const VALUES = [
  "2026-01-02T08:00:00Z",
  "2026-01-02T08:00:00+02:00",
  "2026-01-02T08:00:00.123Z",
  "2026-01-02",
  "2026-1-2",
  "42",
  "0",
  "007",
  "-3",
  "1e3",
  "3.5",
  "0x1F",
  "0o17",
  "123456789012345678",
  "fr",
  "pt-BR",
  "yes",
  "no",
  "on",
  "null",
  "Null",
  "~",
  "true",
  "FALSE",
  ".inf",
  ".nan",
  "Infinity",
  '"quoted"',
  "'single'",
  "a # comment",
  "a: b",
  "[1, 2]",
  "{a: 1}",
  "&anchor x",
  "*alias",
  "!tag x",
  "| ",
  "> ",
  "x ",
  " x",
  "",
  "é",
];

describe("parseSimpleYaml", () => {
  it("the usual post front matter is read without the parser, as the parser reads it", () => {
    const text = "\ndate: 2019-01-01T08:00:00Z\nid: 0\nlanguage: fr\n";
    expect(parseSimpleYaml(text)).toEqual({ date: "2019-01-01T08:00:00Z", id: 0, language: "fr" });
    expect(parseSimpleYaml(text)).toEqual(parseYamlText(text));
  });

  it("on 5,000 random front matters: the parser's meaning, or undefined", () => {
    const random = seededRandom(1717);
    let accepted = 0;
    for (let n = 0; n < 5000; n++) {
      const lines: string[] = [];
      for (let i = random.int(0, 4); i > 0; i--) {
        const shape = random.int(0, 9);
        if (shape === 0) lines.push("");
        else if (shape === 1) lines.push(`  ${random.pick(KEYS)}: ${random.pick(VALUES)}`);
        else if (shape === 2) lines.push(`${random.pick(KEYS)}:`);
        else lines.push(`${random.pick(KEYS)}: ${random.pick(VALUES)}`);
      }
      const text = `\n${lines.join("\n")}\n`;
      const fast = parseSimpleYaml(text);
      if (fast === undefined) continue;
      accepted++;
      expect(fast, JSON.stringify(text)).toEqual(parseYamlText(text));
    }
    // The fast path is taken often enough for the comparison to mean something.
    expect(accepted).toBeGreaterThan(100);
  });

  it("hands back a repeated key, a nested mapping and an empty text", () => {
    expect(parseSimpleYaml("\nid: 1\nid: 2\n")).toBeUndefined();
    expect(parseSimpleYaml("\nreply_to:\n  status_id: 3\n")).toBeUndefined();
    expect(parseSimpleYaml("\n")).toBeUndefined();
  });
});
