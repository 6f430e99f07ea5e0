/**
 * A string writer for the feeds' per-post fragments (RSS <item>, Atom <entry>): the same bytes the
 * xmlbuilder2 writer of the page shells makes for them (pretty-printed, two spaces an indent level,
 * `&`, `<`, `>` escaped in text; `"` too in attribute values; empty elements self-closed), without
 * building a DOM per post -- that DOM would be most of a 10,000-post build's time. Only for the fragments:
 * every page shell is still written by xmlbuilder2. test/publish/feed/xml-lines.test.ts renders random
 * posts both ways and requires the same bytes.
 *
 * Callers guarantee the text is XML 1.0 characters (lib/publish/posts.ts checks every input file).
 */

const TEXT_SPECIAL = /[&<>]/;
const ATTRIBUTE_SPECIAL = /[&<>"]/;

/** Character data (XML 1.0 §2.4): every `&` as `&amp;` (never read as an entity), `<` and `>` escaped. */
export function escapeXmlText(text: string): string {
  if (!TEXT_SPECIAL.test(text)) return text;
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** An attribute value in double quotes (XML 1.0 §3.1 AttValue): as text, and `"` as `&quot;`. */
export function escapeXmlAttribute(value: string): string {
  if (!ATTRIBUTE_SPECIAL.test(value)) return value;
  return escapeXmlText(value).replace(/"/g, "&quot;");
}

export type XmlAttributes = Record<string, string | undefined>;

function attributeText(attributes: XmlAttributes | undefined): string {
  if (!attributes) return "";
  let out = "";
  for (const key in attributes) {
    const value = attributes[key];
    if (value !== undefined) out += ` ${key}="${escapeXmlAttribute(value)}"`;
  }
  return out;
}

/** Lines of one fragment: an element at indent level `level`, its children one level deeper. */
export class XmlLines {
  private readonly lines: string[] = [];
  private depth: number;

  constructor(level: number) {
    this.depth = level;
  }

  private pad(): string {
    return "  ".repeat(this.depth);
  }

  open(name: string, attributes?: XmlAttributes): this {
    this.lines.push(`${this.pad()}<${name}${attributeText(attributes)}>`);
    this.depth++;
    return this;
  }

  close(name: string): this {
    this.depth--;
    this.lines.push(`${this.pad()}</${name}>`);
    return this;
  }

  /** An element with no content: `<name/>`. */
  empty(name: string, attributes?: XmlAttributes): this {
    this.lines.push(`${this.pad()}<${name}${attributeText(attributes)}/>`);
    return this;
  }

  /** `<name>text</name>`; nothing at all when there is no text (never an empty element). */
  text(name: string, text: string | number | undefined, attributes?: XmlAttributes): this {
    if (text === undefined || text === "") return this;
    this.lines.push(`${this.pad()}<${name}${attributeText(attributes)}>${escapeXmlText(String(text))}</${name}>`);
    return this;
  }

  /**
   * A description (spec: "surrounded with <![CDATA[]]> tags"): one CDATA section, or escaped text
   * when the text holds "]]>", which would end the section (XML 1.0 §2.7). See addDescription. An
   * empty text is an empty element, as xmlbuilder2 writes an empty CDATA section.
   */
  description(name: string, text: string, attributes?: XmlAttributes): this {
    if (text === "") return this.empty(name, attributes);
    const body = text.includes("]]>") ? escapeXmlText(text) : `<![CDATA[${text}]]>`;
    this.lines.push(`${this.pad()}<${name}${attributeText(attributes)}>${body}</${name}>`);
    return this;
  }

  end(): string {
    return this.lines.join("\n");
  }
}
