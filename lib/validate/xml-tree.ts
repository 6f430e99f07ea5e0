/**
 * A small XML parser that keeps WHERE everything is: elements, attributes, text and CDATA nodes, each
 * with its line and column, and every name resolved against the namespace declarations in scope. The
 * validator (lib/validate/) reports problems at a line; the importer (lib/move/) reads Atom feeds and
 * the RSS elements the lenient reader does not keep (atom:link, content:encoded) with it.
 *
 * The XML is read by lib/shared/xml-scanner.ts, the one tokenizer (shared with the lenient feed reader
 * of the Worker), with all its guarantees: no DOCTYPE at all (so no DTDs, no external or custom
 * entities, no entity expansion), only the five predefined entities and character references, linear
 * time, nesting and node counts capped. Anything that is not well-formed is an XmlSyntaxError with its
 * line and column. This file builds the tree and resolves namespaces.
 *
 * Namespaces (Namespaces in XML 1.0): an element or attribute whose prefix is not declared keeps its
 * qualified name and gets no namespace; the parser lists it in `unboundPrefixes` instead of failing,
 * so a validator can report it and a lenient reader can still read the document.
 */
import { type Position, scanXml, XmlToken } from "../shared/xml-scanner.ts";

export { type Position, XmlSyntaxError } from "../shared/xml-scanner.ts";

export const XML_NAMESPACE = "http://www.w3.org/XML/1998/namespace";

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

export interface XmlLimits {
  /** Deepest nesting accepted. */
  maxDepth: number;
  /** Most elements in one document (each is a node kept in memory). */
  maxElements: number;
}

/** Feeds nest 4-6 deep and a 500-item page holds a few thousand elements: these caps only stop bombs. */
export const DEFAULT_XML_LIMITS: XmlLimits = { maxDepth: 64, maxElements: 200_000 };

function splitName(name: string): { prefix?: string; local: string } {
  const colon = name.indexOf(":");
  return colon > 0 ? { prefix: name.slice(0, colon), local: name.slice(colon + 1) } : { local: name };
}

export function parseXml(input: string, limits: XmlLimits = DEFAULT_XML_LIMITS): XmlDocument {
  const scanner = scanXml(input, { subject: "document", maxDepth: limits.maxDepth });

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

  const startElement = (): void => {
    if (++elementCount > limits.maxElements) scanner.fail(`more than ${limits.maxElements} elements`, scanner.at);
    const name = scanner.name;
    const count = scanner.attributeCount;
    const scope = new Map<string, string | undefined>();
    for (let k = 0; k < count; k++) {
      const attribute = scanner.attributeNames[k]!;
      if (attribute === "xmlns") scope.set("", scanner.attributeValues[k] || undefined);
      else if (attribute.startsWith("xmlns:")) scope.set(attribute.slice(6), scanner.attributeValues[k] || undefined);
    }
    const where = scanner.position(scanner.at);
    const { prefix, local } = splitName(name);
    const element: XmlElement = { kind: "element", name, local, attributes: [], children: [], ...where };
    if (prefix !== undefined) element.prefix = prefix;
    const parent = stack.at(-1);
    stack.push({ element, scope });
    const ns = resolve(prefix, where);
    if (ns !== undefined) element.ns = ns;
    for (let k = 0; k < count; k++) {
      const attributeName = scanner.attributeNames[k]!;
      const split = splitName(attributeName);
      const at = scanner.position(scanner.attributeOffsets[k]!);
      const resolved: XmlAttribute = { name: attributeName, local: split.local, value: scanner.attributeValues[k]!, ...at };
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
  };

  for (let token = scanner.next(); token !== XmlToken.End; token = scanner.next()) {
    if (token === XmlToken.StartElement) startElement();
    else if (token === XmlToken.EndElement) stack.pop();
    else if (token === XmlToken.Text || token === XmlToken.Cdata)
      stack.at(-1)!.element.children.push({ kind: token === XmlToken.Text ? "text" : "cdata", value: scanner.value, ...scanner.position(scanner.at) });
    else if (token === XmlToken.Declaration) {
      // XML 1.0 §2.8: the declaration comes first. Only white space before it is read leniently (and reported).
      if (scanner.src.slice(0, scanner.at).trim()) scanner.fail("<?xml ...?> must be the very first thing in the document", scanner.at);
      if (scanner.at !== 0) declarationNotFirst = true;
      const encoding = /\sencoding\s*=\s*["']([A-Za-z][A-Za-z0-9._-]*)["']/.exec(scanner.value);
      if (encoding) declaredEncoding = encoding[1]!.toLowerCase();
    }
  }
  const document: XmlDocument = { root: root!, unboundPrefixes, elementCount, declarationNotFirst };
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
