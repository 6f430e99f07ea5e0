/**
 * A small XML parser that keeps WHERE everything is: elements, attributes, text and CDATA nodes, each
 * with its line and column, and every name resolved against the namespace declarations in scope. The
 * validator (lib/validate/) reports problems at a line; the importer (lib/move/) reads Atom feeds and
 * the RSS elements the lenient reader does not keep (atom:link, content:encoded) with it.
 *
 * Built on the same principles as lib/shared/remote-feed-reader.ts: no DOCTYPE at all (so no DTDs,
 * no external or custom entities, no entity expansion), only the five predefined entities and
 * character references, every scan moving forward (indexOf, sticky regexes without nested
 * quantifiers), nesting and node counts capped. Hostile input costs linear time and bounded memory,
 * and anything that is not well-formed is an XmlSyntaxError with its line and column.
 *
 * Namespaces (Namespaces in XML 1.0): an element or attribute whose prefix is not declared keeps its
 * qualified name and gets no namespace; the parser lists it in `unboundPrefixes` instead of failing,
 * so a validator can report it and a lenient reader can still read the document.
 */
import { findNonXmlCharacter } from "../shared/xml-text.ts";

export const XML_NAMESPACE = "http://www.w3.org/XML/1998/namespace";

export interface Position {
  /** 1-based. */
  line: number;
  /** 1-based, in UTF-16 code units of the decoded text. */
  column: number;
}

export interface XmlAttribute extends Position {
  name: string;
  prefix?: string;
  local: string;
  /** Resolved namespace URI; unprefixed attributes have none (Namespaces in XML 1.0 §6.2). */
  ns?: string;
  value: string;
}

export interface XmlText extends Position {
  kind: "text" | "cdata";
  value: string;
}

export interface XmlElement extends Position {
  kind: "element";
  /** Qualified name as written, e.g. "microblog:user_id". */
  name: string;
  prefix?: string;
  local: string;
  ns?: string;
  attributes: XmlAttribute[];
  children: (XmlElement | XmlText)[];
}

export interface XmlDocument {
  root: XmlElement;
  /** The encoding named in the XML declaration, if any (lower case). */
  declaredEncoding?: string;
  /** Prefixes used without a declaration in scope, with where they were first used. */
  unboundPrefixes: (Position & { prefix: string })[];
  /** Elements in the whole document. */
  elementCount: number;
  /** White space came before the XML declaration (not well-formed; read anyway). */
  declarationNotFirst: boolean;
}

export class XmlSyntaxError extends Error {
  override name = "XmlSyntaxError";
  constructor(
    readonly reason: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${reason} (line ${line}, column ${column})`);
  }
}

export interface XmlLimits {
  /** Deepest nesting accepted. */
  maxDepth: number;
  /** Most elements in one document. */
  maxElements: number;
}

/** Feeds nest 4-6 deep and a 500-item page holds a few thousand elements: these caps only stop bombs. */
export const DEFAULT_XML_LIMITS: XmlLimits = { maxDepth: 64, maxElements: 200_000 };

const NAME = /[A-Za-z_:\u0080-\uFFFF][\w.:\u0080-\uFFFF-]*/y;
const REFERENCE = /&([^;&]*)(;?)/g;
const PREDEFINED = new Map(Object.entries({ lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" }));
const isSpace = (code: number): boolean => code === 0x20 || code === 0x0a || code === 0x09 || code === 0x0d;
const isXmlChar = (c: number): boolean =>
  c === 0x09 || c === 0x0a || c === 0x0d || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);

function splitName(name: string): { prefix?: string; local: string } {
  const colon = name.indexOf(":");
  return colon > 0 ? { prefix: name.slice(0, colon), local: name.slice(colon + 1) } : { local: name };
}

export function parseXml(input: string, limits: XmlLimits = DEFAULT_XML_LIMITS): XmlDocument {
  // A leading BOM is not content; line ends are normalized first (XML 1.0 §2.11), so columns count what a reader sees.
  const src = (input.charCodeAt(0) === 0xfeff ? input.slice(1) : input).replace(/\r\n?/g, "\n");
  const lineStarts = [0];
  for (let i = src.indexOf("\n"); i >= 0; i = src.indexOf("\n", i + 1)) lineStarts.push(i + 1);
  const position = (at: number): Position => {
    let low = 0;
    let high = lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (lineStarts[mid]! <= at) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, column: at - lineStarts[low]! + 1 };
  };
  const fail = (reason: string, at: number): never => {
    const { line, column } = position(Math.min(at, src.length));
    throw new XmlSyntaxError(reason, line, column);
  };
  if (!src.trim()) throw new XmlSyntaxError("the document is empty", 1, 1);
  const bad = findNonXmlCharacter(src);
  if (bad) throw new XmlSyntaxError(`character ${bad.codePoint} is not allowed in XML`, bad.line, bad.column);

  const decode = (text: string, at: number): string => {
    const first = text.indexOf("&");
    if (first < 0) return text;
    const parts: string[] = [];
    let from = 0;
    REFERENCE.lastIndex = first;
    for (let match: RegExpExecArray | null; (match = REFERENCE.exec(text)); from = REFERENCE.lastIndex) {
      const body = match[1]!;
      const where = at + match.index;
      if (!match[2]) fail('"&" must start an entity like &amp; (write & as &amp;)', where);
      const numeric = /^#(x[\da-f]+|\d+)$/i.exec(body);
      let value = PREDEFINED.get(body);
      if (numeric) {
        const digits = numeric[1]!;
        const code = digits[0] === "x" || digits[0] === "X" ? parseInt(digits.slice(1), 16) : parseInt(digits, 10);
        if (!isXmlChar(code)) fail(`&${body}; is not a character XML allows`, where);
        value = String.fromCodePoint(code);
      } else if (value === undefined) {
        fail(`unknown entity &${body}; (only &lt; &gt; &amp; &quot; &apos; and &#...; are defined without a DTD)`, where);
      }
      parts.push(text.slice(from, match.index), value!);
    }
    parts.push(text.slice(from));
    return parts.join("");
  };

  const readName = (at: number): string => {
    NAME.lastIndex = at;
    const match = NAME.exec(src);
    return match ? match[0] : fail(at >= src.length ? "the document ends in the middle of a tag" : "expected a name", at);
  };

  interface Frame {
    element: XmlElement;
    /** Namespace bindings declared on this element (prefix "" = default namespace). */
    scope: Map<string, string | undefined>;
  }
  const stack: Frame[] = [];
  const unboundPrefixes: XmlDocument["unboundPrefixes"] = [];
  const reported = new Set<string>();
  let root: XmlElement | undefined;
  let declaredEncoding: string | undefined;
  let declarationNotFirst = false;
  let elementCount = 0;

  const lookup = (prefix: string): string | undefined | null => {
    if (prefix === "xml") return XML_NAMESPACE;
    for (let i = stack.length - 1; i >= 0; i--) {
      const scope = stack[i]!.scope;
      if (scope.has(prefix)) return scope.get(prefix);
    }
    return null;
  };
  const resolve = (prefix: string | undefined, at: Position): string | undefined => {
    const found = lookup(prefix ?? "");
    if (found !== null) return found;
    if (prefix !== undefined && !reported.has(prefix)) {
      reported.add(prefix);
      unboundPrefixes.push({ prefix, ...at });
    }
    return undefined;
  };

  const startTag = (lt: number): number => {
    const name = readName(lt + 1);
    let i = lt + 1 + name.length;
    const raw: { name: string; value: string; at: number }[] = [];
    let selfClosing = false;
    for (;;) {
      const spaced = i;
      while (isSpace(src.charCodeAt(i))) i++;
      if (i >= src.length) fail(`<${name}> is not finished`, lt);
      if (src[i] === ">") {
        i++;
        break;
      }
      if (src.startsWith("/>", i)) {
        i += 2;
        selfClosing = true;
        break;
      }
      if (i === spaced) fail(`expected a space, ">" or "/>" in <${name}>`, i);
      const attributeAt = i;
      const attribute = readName(i);
      i += attribute.length;
      while (isSpace(src.charCodeAt(i))) i++;
      if (src[i] !== "=") fail(`attribute ${attribute} needs ="value"`, i);
      i++;
      while (isSpace(src.charCodeAt(i))) i++;
      const quote = src[i];
      if (quote !== '"' && quote !== "'") fail(`the value of attribute ${attribute} must be in quotes`, i);
      const close = src.indexOf(quote!, i + 1);
      if (close < 0) fail(`the value of attribute ${attribute} is not closed`, i);
      const value = src.slice(i + 1, close);
      if (value.includes("<")) fail(`"<" is not allowed in the value of attribute ${attribute}`, i);
      if (raw.some((a) => a.name === attribute)) fail(`attribute ${attribute} appears twice in <${name}>`, attributeAt);
      raw.push({ name: attribute, value: decode(value.replace(/[\t\n]/g, " "), i + 1), at: attributeAt });
      i = close + 1;
    }
    if (++elementCount > limits.maxElements) fail(`more than ${limits.maxElements} elements`, lt);
    const parent = stack.at(-1);
    if (!parent && root) fail(`a second root element <${name}>`, lt);

    const scope = new Map<string, string | undefined>();
    for (const attribute of raw) {
      if (attribute.name === "xmlns") scope.set("", attribute.value || undefined);
      else if (attribute.name.startsWith("xmlns:")) scope.set(attribute.name.slice(6), attribute.value || undefined);
    }
    const where = position(lt);
    const { prefix, local } = splitName(name);
    const element: XmlElement = { kind: "element", name, local, attributes: [], children: [], ...where };
    if (prefix !== undefined) element.prefix = prefix;
    const frame: Frame = { element, scope };
    stack.push(frame);
    if (stack.length > limits.maxDepth) fail(`elements are nested more than ${limits.maxDepth} deep`, lt);
    const ns = resolve(prefix, where);
    if (ns !== undefined) element.ns = ns;
    for (const attribute of raw) {
      const split = splitName(attribute.name);
      const at = position(attribute.at);
      const resolved: XmlAttribute = { name: attribute.name, local: split.local, value: attribute.value, ...at };
      if (split.prefix !== undefined) {
        resolved.prefix = split.prefix;
        if (split.prefix !== "xmlns") {
          const attributeNs = resolve(split.prefix, at);
          if (attributeNs !== undefined) resolved.ns = attributeNs;
        }
      }
      element.attributes.push(resolved);
    }
    if (parent) parent.element.children.push(element);
    else root = element;
    if (selfClosing) stack.pop();
    return i;
  };

  let pos = 0;
  while (pos < src.length) {
    const lt = src.indexOf("<", pos);
    const textEnd = lt < 0 ? src.length : lt;
    if (textEnd > pos) {
      const text = src.slice(pos, textEnd);
      const top = stack.at(-1);
      if (top) top.element.children.push({ kind: "text", value: decode(text, pos), ...position(pos) });
      else if (/\S/.test(text)) fail(root ? "text after the end of the document" : "text before the first element: this is not XML", pos);
    }
    if (lt < 0) break;
    if (src.startsWith("<!--", lt)) {
      const close = src.indexOf("-->", lt + 4);
      if (close < 0) fail("a comment is not closed (missing -->)", lt);
      pos = close + 3;
    } else if (src.startsWith("<![CDATA[", lt)) {
      const close = src.indexOf("]]>", lt + 9);
      if (close < 0) fail("a CDATA section is not closed (missing ]]>)", lt);
      const top = stack.at(-1);
      if (!top) fail("CDATA outside the root element", lt);
      top!.element.children.push({ kind: "cdata", value: src.slice(lt + 9, close), ...position(lt) });
      pos = close + 3;
    } else if (src.startsWith("<?", lt)) {
      const target = readName(lt + 2);
      const close = src.indexOf("?>", lt + 2 + target.length);
      if (close < 0) fail("a processing instruction is not closed (missing ?>)", lt);
      if (target.toLowerCase() === "xml") {
        // XML 1.0 §2.8: the declaration comes first. Only white space before it is read leniently (and reported).
        if (root || stack.length || src.slice(0, lt).trim()) fail("<?xml ...?> must be the very first thing in the document", lt);
        if (lt !== 0) declarationNotFirst = true;
        const encoding = /\sencoding\s*=\s*["']([A-Za-z][A-Za-z0-9._-]*)["']/.exec(src.slice(lt, close));
        if (encoding) declaredEncoding = encoding[1]!.toLowerCase();
      }
      pos = close + 2;
    } else if (src.startsWith("<!", lt)) {
      fail(
        /^<!doctype/i.test(src.slice(lt, lt + 9))
          ? "<!DOCTYPE> is not accepted (no DTDs, no custom entities)"
          : 'unexpected "<!" (only comments and CDATA sections start that way)',
        lt,
      );
    } else if (src.startsWith("</", lt)) {
      const name = readName(lt + 2);
      let i = lt + 2 + name.length;
      while (isSpace(src.charCodeAt(i))) i++;
      if (src[i] !== ">") fail(`</${name}> is not finished`, lt);
      const open = stack.pop();
      if (!open) fail(`</${name}> closes nothing`, lt);
      if (open!.element.name !== name) fail(`</${name}> does not match <${open!.element.name}> of line ${open!.element.line}`, lt);
      pos = i + 1;
    } else {
      pos = startTag(lt);
    }
  }
  const unclosed = stack.at(-1);
  if (unclosed) fail(`<${unclosed.element.name}> of line ${unclosed.element.line} is not closed`, src.length);
  if (!root) throw new XmlSyntaxError("the document has no root element", 1, 1);
  const document: XmlDocument = { root, unboundPrefixes, elementCount, declarationNotFirst };
  if (declaredEncoding) document.declaredEncoding = declaredEncoding;
  return document;
}

/** Child elements, optionally only those with this local name (and namespace: null = no namespace). */
export function childElements(element: XmlElement, local?: string, ns?: string | null): XmlElement[] {
  const found: XmlElement[] = [];
  for (const child of element.children) {
    if (child.kind !== "element") continue;
    if (local !== undefined && child.local !== local) continue;
    if (ns === null ? child.ns !== undefined : ns !== undefined && child.ns !== ns) continue;
    found.push(child);
  }
  return found;
}

/** The element's own text and CDATA, in order (child elements' text excluded). */
export function ownText(element: XmlElement): string {
  let text = "";
  for (const child of element.children) if (child.kind !== "element") text += child.value;
  return text;
}

export function attributeOf(element: XmlElement, local: string, ns?: string): XmlAttribute | undefined {
  return element.attributes.find((a) => a.local === local && a.ns === ns && a.prefix !== "xmlns" && a.name !== "xmlns");
}

/** The inner XML of an element, re-serialized (for Atom type="xhtml" content): text escaped, attributes quoted. */
export function innerXml(element: XmlElement): string {
  const escapeText = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const out: string[] = [];
  const write = (node: XmlElement | XmlText) => {
    if (node.kind !== "element") {
      out.push(escapeText(node.value));
      return;
    }
    // Without the prefix: xhtml content is in the XHTML namespace, and HTML readers know its local names.
    out.push(`<${node.local}`);
    for (const attribute of node.attributes) {
      if (attribute.name === "xmlns" || attribute.prefix === "xmlns") continue;
      out.push(` ${attribute.local}="${escapeText(attribute.value).replace(/"/g, "&quot;")}"`);
    }
    if (node.children.length === 0) out.push(" />");
    else {
      out.push(">");
      for (const child of node.children) write(child);
      out.push(`</${node.local}>`);
    }
  };
  for (const child of element.children) write(child);
  return out.join("");
}
