/**
 * The W3C Feed Validation Service's rules for Atom 1.0 (validator.w3.org/feed, its "docs/error" and
 * "docs/warning" pages), reproduced over a real XML parser (fast-xml-parser) so our Atom pages are
 * checked offline in every test run. Each rule names the validator's message it stands for.
 *
 * `atomProblems(xml, { location })` lists every problem (empty: valid, without warnings); the tests
 * also feed it broken documents, so a rule that stopped working would be noticed.
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";

export const ATOM = "http://www.w3.org/2005/Atom";
export const THREAD = "http://purl.org/syndication/thread/1.0";
export const FEED_HISTORY = "http://purl.org/syndication/history/1.0";
const XML_NAMESPACE = "http://www.w3.org/XML/1998/namespace";

export interface AtomNode {
  /** Qualified name as written. */
  name: string;
  attributes: Record<string, string>;
  children: AtomNode[];
  text: string;
  /** In-scope namespace bindings ("" = default namespace). */
  namespaces: Record<string, string>;
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  cdataPropName: "#cdata",
  processEntities: true,
  htmlEntities: false,
});

type Ordered = Record<string, unknown> & { ":@"?: Record<string, string> };

function toNode(name: string, raw: Ordered, inherited: Record<string, string>): AtomNode {
  const attributes = { ...(raw[":@"] ?? {}) };
  const namespaces = { ...inherited };
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "xmlns") namespaces[""] = value;
    else if (key.startsWith("xmlns:")) namespaces[key.slice(6)] = value;
  }
  const node: AtomNode = { name, attributes, children: [], text: "", namespaces };
  for (const child of raw[name] as Ordered[]) {
    if ("#text" in child) node.text += String(child["#text"]);
    else if ("#cdata" in child) node.text += (child["#cdata"] as Ordered[]).map((part) => String(part["#text"] ?? "")).join("");
    else {
      const childName = Object.keys(child).find((key) => key !== ":@");
      if (childName && !childName.startsWith("?") && childName !== "#comment") node.children.push(toNode(childName, child, namespaces));
    }
  }
  return node;
}

/** Namespace URI and local name of an element (undefined URI: an unbound prefix). */
export function expanded(node: AtomNode): { ns: string | undefined; local: string } {
  const colon = node.name.indexOf(":");
  if (colon < 0) return { ns: node.namespaces[""], local: node.name };
  return { ns: node.namespaces[node.name.slice(0, colon)], local: node.name.slice(colon + 1) };
}

export function parseAtom(xml: string): AtomNode {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new Error(`not well-formed: ${JSON.stringify(valid)}`);
  const roots = (parser.parse(xml) as Ordered[]).filter(
    (node) => !Object.keys(node).some((key) => key.startsWith("?") || key === "#text" || key === "#comment"),
  );
  if (roots.length !== 1) throw new Error("not one root element");
  const root = roots[0]!;
  return toNode(Object.keys(root).find((key) => key !== ":@")!, root, { xml: XML_NAMESPACE });
}

/** Children in the Atom namespace called `local`. */
export function atomChildren(node: AtomNode, local: string): AtomNode[] {
  return node.children.filter((child) => {
    const name = expanded(child);
    return name.ns === ATOM && name.local === local;
  });
}

export function atomText(node: AtomNode, local: string): string | undefined {
  return atomChildren(node, local)[0]?.text.trim();
}

/** RFC 3339 date-time as the validator reads it (validator: "InvalidRFC3339Date"), and a real date. */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
export function isRfc3339(value: string): boolean {
  const m = RFC3339.exec(value);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 60) return false;
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day >= 1 && day <= days;
}

/** An absolute IRI (validator: "InvalidFullLink" / "InvalidIRI"): a scheme, no spaces; urn:uuid in UUID form ("InvalidURN"). */
export function isAbsoluteIri(value: string): boolean {
  if (!/^[a-z][a-z0-9+.-]*:\S+$/i.test(value)) return false;
  if (/^urn:uuid:/i.test(value)) return /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
  if (/^https?:/i.test(value)) {
    try {
      new URL(value);
    } catch {
      return false;
    }
  }
  return true;
}

/** The validator's known link relations (IANA registry; others get "UnregisteredAtomLinkRel"). */
const REGISTERED_RELS = new Set([
  "alternate",
  "related",
  "self",
  "enclosure",
  "via",
  "current",
  "first",
  "last",
  "next",
  "previous",
  "prev-archive",
  "next-archive",
  "hub",
  "replies",
  "license",
  "edit",
  "edit-media",
  "payment",
]);

const LANGUAGE = /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/;

export interface AtomCheckOptions {
  /** The URL the document is served at: rel="self" must name it (validator: "SelfDoesntMatchLocation"). */
  location?: string;
}

/** Every rule the document breaks, as "rule: what" lines; [] = valid. */
export function atomProblems(xml: string, options: AtomCheckOptions = {}): string[] {
  const problems: string[] = [];
  const report = (rule: string, detail: string) => problems.push(`${rule}: ${detail}`);
  let feed: AtomNode;
  try {
    feed = parseAtom(xml);
  } catch (error) {
    return [`NotWellFormed: ${(error as Error).message}`];
  }
  if (!/^<\?xml version="1\.0" encoding="UTF-8"\?>/i.test(xml)) report("MissingEncoding", "no XML declaration naming UTF-8");
  const root = expanded(feed);
  if (root.ns !== ATOM || root.local !== "feed") return [`UndefinedElement: the root is {${root.ns}}${root.local}, not an Atom <feed>`];

  // Every prefix bound (the validator reads with a namespace-aware parser).
  const walk = (node: AtomNode, visit: (node: AtomNode) => void) => {
    visit(node);
    for (const child of node.children) walk(child, visit);
  };
  walk(feed, (node) => {
    if (expanded(node).ns === undefined) report("UnboundPrefix", `<${node.name}>`);
    const lang = node.attributes["xml:lang"];
    if (lang !== undefined && !LANGUAGE.test(lang)) report("InvalidLanguage", `xml:lang="${lang}" on <${node.name}>`);
  });

  const once = (parent: AtomNode, local: string, where: string, required: boolean): AtomNode | undefined => {
    const found = atomChildren(parent, local);
    if (found.length > 1) report("DuplicateElement", `${where} has ${found.length} <${local}>`);
    if (required && found.length === 0) report("MissingElement", `${where} has no <${local}>`);
    if (found[0] && found[0].children.length === 0 && !found[0].text.trim() && local !== "content") report("NotBlank", `${where} <${local}> is empty`);
    return found[0];
  };
  const checkDate = (parent: AtomNode, local: string, where: string, required: boolean) => {
    const element = once(parent, local, where, required);
    if (element && !isRfc3339(element.text.trim())) report("InvalidRFC3339Date", `${where} <${local}> "${element.text.trim()}"`);
  };
  const checkId = (parent: AtomNode, where: string) => {
    const id = once(parent, "id", where, true);
    if (id && !isAbsoluteIri(id.text.trim())) report("InvalidIRI", `${where} <id> "${id.text.trim()}" is not an absolute IRI`);
    return id?.text.trim();
  };
  const checkTextConstruct = (parent: AtomNode, local: string, where: string, required: boolean) => {
    const element = once(parent, local, where, required);
    const type = element?.attributes.type;
    if (type !== undefined && !["text", "html", "xhtml"].includes(type)) report("InvalidTextType", `${where} <${local} type="${type}">`);
  };
  const checkPerson = (person: AtomNode, where: string) => {
    once(person, "name", `${where} <author>`, true);
    const uri = once(person, "uri", `${where} <author>`, false);
    if (uri && !isAbsoluteIri(uri.text.trim())) report("InvalidFullLink", `${where} <author><uri> "${uri.text.trim()}"`);
  };
  const checkLinks = (parent: AtomNode, where: string) => {
    const alternates = new Map<string, number>();
    for (const link of atomChildren(parent, "link")) {
      const href = link.attributes.href;
      const rel = link.attributes.rel ?? "alternate";
      if (!href) report("MissingHref", `${where} <link rel="${rel}"> has no href`);
      else if (!isAbsoluteIri(href)) report("InvalidFullLink", `${where} <link rel="${rel}"> href "${href}" is not absolute`);
      if (!REGISTERED_RELS.has(rel) && !isAbsoluteIri(rel)) report("UnregisteredAtomLinkRel", `${where} rel="${rel}"`);
      if (link.attributes.type !== undefined && !/^[\w.+-]+\/[\w.+-]+$/.test(link.attributes.type))
        report("InvalidMIMEType", `${where} type="${link.attributes.type}"`);
      if (link.children.length || link.text.trim()) report("NotBlank", `${where} <link rel="${rel}"> has content`);
      if (rel === "alternate") {
        // "DuplicateAtomLink": at most one alternate link with the same type and hreflang.
        const key = `${link.attributes.type ?? ""} ${link.attributes.hreflang ?? ""}`;
        alternates.set(key, (alternates.get(key) ?? 0) + 1);
      }
    }
    for (const [key, count] of alternates) if (count > 1) report("DuplicateAtomLink", `${where} has ${count} alternate links of type/hreflang "${key.trim()}"`);
  };

  // Feed (RFC 4287 §4.1.1).
  checkId(feed, "<feed>");
  checkTextConstruct(feed, "title", "<feed>", true);
  checkTextConstruct(feed, "subtitle", "<feed>", false);
  checkTextConstruct(feed, "rights", "<feed>", false);
  checkDate(feed, "updated", "<feed>", true);
  once(feed, "generator", "<feed>", false);
  for (const local of ["icon", "logo"]) {
    const image = once(feed, local, "<feed>", false);
    if (image && !isAbsoluteIri(image.text.trim())) report("InvalidFullLink", `<feed> <${local}> "${image.text.trim()}"`);
  }
  for (const author of atomChildren(feed, "author")) checkPerson(author, "<feed>");
  checkLinks(feed, "<feed>");
  const self = atomChildren(feed, "link").filter((link) => link.attributes.rel === "self");
  if (self.length === 0) report("MissingSelf", 'no <link rel="self">');
  if (self.length > 1) report("DuplicateSelf", `${self.length} <link rel="self">`);
  if (self[0] && self[0].attributes.type !== undefined && self[0].attributes.type !== "application/atom+xml") {
    report("SelfNotAtom", `rel="self" has type ${self[0].attributes.type}`);
  }
  if (self[0] && options.location && self[0].attributes.href !== options.location) {
    report("SelfDoesntMatchLocation", `rel="self" is ${self[0].attributes.href}, the document is at ${options.location}`);
  }
  for (const element of feed.children) {
    const name = expanded(element);
    if (name.ns === FEED_HISTORY && name.local === "archive" && (element.children.length || element.text.trim()))
      report("NotBlank", "<fh:archive> has content");
  }

  // Entries (RFC 4287 §4.1.2).
  const feedHasAuthor = atomChildren(feed, "author").length > 0;
  const ids = new Set<string>();
  atomChildren(feed, "entry").forEach((entry, index) => {
    const where = `entry ${index + 1}`;
    const id = checkId(entry, where);
    if (id !== undefined) {
      if (ids.has(id)) report("DuplicateEntries", `${where} repeats id ${id}`);
      ids.add(id);
    }
    checkTextConstruct(entry, "title", where, true);
    checkTextConstruct(entry, "summary", where, false);
    checkDate(entry, "updated", where, true);
    checkDate(entry, "published", where, false);
    const authors = atomChildren(entry, "author");
    for (const author of authors) checkPerson(author, where);
    if (!feedHasAuthor && authors.length === 0) report("MissingAuthor", `${where} has no <author> and neither has the feed`);
    checkLinks(entry, where);
    const content = once(entry, "content", where, false);
    const alternate = atomChildren(entry, "link").some((link) => (link.attributes.rel ?? "alternate") === "alternate");
    if (!content && !alternate) report("MissingAlternateLink", `${where} has neither <content> nor an alternate link`);
    const contentType = content?.attributes.type;
    if (content && contentType !== undefined && !["text", "html", "xhtml"].includes(contentType) && !/\//.test(contentType))
      report("InvalidContentType", `${where} content type "${contentType}"`);
    if (content && contentType === "html" && /<script\b/i.test(content.text)) report("ContainsScript", `${where} content holds a <script>`);
    for (const child of entry.children) {
      const name = expanded(child);
      if (name.ns === THREAD && name.local === "in-reply-to") {
        const ref = child.attributes.ref;
        if (!ref) report("MissingAttribute", `${where} <thr:in-reply-to> has no ref`);
        else if (!isAbsoluteIri(ref)) report("InvalidIRI", `${where} <thr:in-reply-to ref="${ref}">`);
        const href = child.attributes.href;
        if (href !== undefined && !isAbsoluteIri(href)) report("InvalidFullLink", `${where} <thr:in-reply-to href="${href}">`);
      }
    }
    const published = atomText(entry, "published");
    const updated = atomText(entry, "updated");
    if (published && updated && isRfc3339(published) && isRfc3339(updated) && Date.parse(updated) < Date.parse(published)) {
      report("UpdatedBeforePublished", `${where} was updated before it was published`);
    }
  });
  return problems;
}

/** The feed's links by rel (hrefs in document order). */
export function atomLinks(node: AtomNode, rel: string): string[] {
  return atomChildren(node, "link")
    .filter((link) => (link.attributes.rel ?? "alternate") === rel)
    .map((link) => link.attributes.href ?? "");
}
