/**
 * A small, lenient HTML reader for a webmention's source page: elements, attributes and text as a
 * tree, with entities decoded. It is not a browser's parser (no foster parenting, few implied end
 * tags); it reads what microformats2 needs from pages as people publish them, and it is bounded:
 * at most MAX_NODES nodes and MAX_DEPTH levels (deeper elements are read into the deepest level),
 * linear in the input's length. Nothing read here is ever rendered as HTML: only text and URLs
 * leave this module.
 */

export interface HtmlElement {
  name: string;
  attrs: Map<string, string>;
  children: HtmlNode[];
}
export type HtmlNode = HtmlElement | string;

export const MAX_NODES = 20_000;
export const MAX_DEPTH = 100;

/** HTML's void elements: never have children or end tags. */
const VOID = new Set(["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"]);
/** Raw text elements: their content is text up to the matching end tag. */
const RAW = new Set(["script", "style", "textarea", "title", "xmp", "noembed", "noframes"]);
/** An open element of this name is closed by a new start tag of one of these (HTML's common implied ends). */
const CLOSED_BY: Record<string, Set<string>> = {
  p: new Set(["p", "div", "ul", "ol", "section", "article", "header", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table"]),
  li: new Set(["li"]),
  dt: new Set(["dt", "dd"]),
  dd: new Set(["dt", "dd"]),
  option: new Set(["option"]),
};

const NAMED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0" };

/** Decode character references (the named ones pages use in URLs and text, and all numeric ones). */
export function decodeEntities(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(/&(#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7}|[A-Za-z]{2,8});?/g, (whole, ref: string) => {
    if (ref[0] === "#") {
      const code = ref[1] === "x" || ref[1] === "X" ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : "\ufffd";
    }
    return NAMED[ref.toLowerCase()] ?? whole;
  });
}

const ATTRIBUTE = /([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g;

function parseAttributes(text: string): Map<string, string> {
  const attrs = new Map<string, string>();
  for (const match of text.matchAll(ATTRIBUTE)) {
    const name = (match[1] ?? "").toLowerCase();
    if (!attrs.has(name)) attrs.set(name, decodeEntities(match[2] ?? match[3] ?? match[4] ?? ""));
  }
  return attrs;
}

/** Where a tag that starts at `at` ends (the `>` outside quotes), or -1. */
function tagEnd(html: string, at: number): number {
  let quote = "";
  for (let i = at; i < html.length; i++) {
    const ch = html[i];
    if (quote) {
      if (ch === quote) quote = "";
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === ">") return i;
  }
  return -1;
}

class TreeBuilder {
  readonly root: HtmlElement = { name: "#document", attrs: new Map(), children: [] };
  private readonly stack: HtmlElement[] = [this.root];
  private nodes = 0;

  get full(): boolean {
    return this.nodes >= MAX_NODES;
  }

  text(value: string): void {
    if (!value || this.full) return;
    this.nodes += 1;
    this.current().children.push(decodeEntities(value));
  }

  open(name: string, attrs: Map<string, string>, selfClosing: boolean): HtmlElement {
    const closers = CLOSED_BY[this.current().name];
    if (closers?.has(name)) this.stack.pop();
    const element: HtmlElement = { name, attrs, children: [] };
    this.nodes += 1;
    this.current().children.push(element);
    if (!selfClosing && !VOID.has(name) && this.stack.length < MAX_DEPTH) this.stack.push(element);
    return element;
  }

  close(name: string): void {
    // An end tag closes the nearest open element of that name and everything opened inside it; a
    // stray end tag (nothing of that name is open) is ignored, as browsers do.
    for (let i = this.stack.length - 1; i > 0; i--) {
      if (this.stack[i]?.name === name) {
        this.stack.length = i;
        return;
      }
    }
  }

  private current(): HtmlElement {
    return this.stack[this.stack.length - 1] as HtmlElement;
  }
}

/** Read a page into a tree (never throws; what cannot be read as a tag is text). */
export function parseHtml(html: string): HtmlElement {
  const tree = new TreeBuilder();
  let at = 0;
  while (at < html.length && !tree.full) {
    const lt = html.indexOf("<", at);
    if (lt < 0) {
      tree.text(html.slice(at));
      break;
    }
    tree.text(html.slice(at, lt));
    at = readMarkup(html, lt, tree);
  }
  return tree.root;
}

/** Read the markup starting at `lt` ("<"); returns where reading goes on. */
function readMarkup(html: string, lt: number, tree: TreeBuilder): number {
  if (html.startsWith("<!--", lt)) {
    const end = html.indexOf("-->", lt + 4);
    return end < 0 ? html.length : end + 3;
  }
  if (html[lt + 1] === "!" || html[lt + 1] === "?") {
    const end = html.indexOf(">", lt);
    return end < 0 ? html.length : end + 1;
  }
  const closing = html[lt + 1] === "/";
  const nameMatch = /^[A-Za-z][A-Za-z0-9-]*/.exec(html.slice(lt + (closing ? 2 : 1), lt + 40));
  if (!nameMatch) {
    tree.text("<");
    return lt + 1;
  }
  const name = nameMatch[0].toLowerCase();
  const end = tagEnd(html, lt);
  if (end < 0) return html.length;
  if (closing) {
    tree.close(name);
    return end + 1;
  }
  const inside = html.slice(lt + 1 + name.length, end);
  tree.open(name, parseAttributes(inside), inside.trimEnd().endsWith("/"));
  if (!RAW.has(name)) return end + 1;
  // Raw text: up to the matching end tag; its text is kept only for <title> (never markup).
  const endTag = new RegExp(`</${name}`, "ig");
  endTag.lastIndex = end + 1;
  const close = endTag.exec(html)?.index ?? -1;
  const stop = close < 0 ? html.length : close;
  if (name === "title" || name === "textarea") tree.text(html.slice(end + 1, stop));
  tree.close(name);
  const after = close < 0 ? html.length : html.indexOf(">", close);
  return after < 0 ? html.length : after + 1;
}

/** The visible text of a node: text nodes joined, block-ish elements separated by a space. */
export function textContent(node: HtmlNode): string {
  if (typeof node === "string") return node;
  if (node.name === "script" || node.name === "style" || node.name === "template") return "";
  if (node.name === "br") return "\n";
  if (node.name === "img") return node.attrs.get("alt") ?? "";
  return node.children.map(textContent).join("");
}

/** Every element below `node`, in document order. */
export function* elements(node: HtmlElement): Generator<HtmlElement> {
  for (const child of node.children) {
    if (typeof child === "string") continue;
    yield child;
    yield* elements(child);
  }
}
