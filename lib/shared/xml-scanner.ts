/**
 * The one XML tokenizer of the codebase: a pull scanner with offsets. Two readers stand on it: the
 * lenient reader of other people's feeds (remote-feed-reader.ts, in the Worker, on the poller's hot
 * path: it stops pulling at the item it wants) and the positioned tree of the validator and the
 * importer (lib/validate/xml-tree.ts, Node only). Each keeps its own model; the scanning, and with it
 * every security property, lives here once:
 * - no DOCTYPE at all, so no DTDs, no external or custom entities, no entity expansion (billion laughs,
 *   XXE): "<!DOCTYPE" is an error wherever it appears;
 * - only the five predefined entities and character references of legal XML characters (XML 1.0 §4.1,
 *   §4.6, §2.2), and no raw character XML forbids anywhere;
 * - every scan moves forward (indexOf, sticky regexes without nested quantifiers; duplicate attributes
 *   through a Set once a tag has many) and nesting is capped: hostile input costs linear time and
 *   memory bounded by its size (a reader that keeps nodes caps their number itself, as the tree does);
 * - well-formedness: one root, start and end tags that match, quoted attribute values without "<",
 *   no text or CDATA outside the root, the XML declaration only before the root.
 *
 * What a reader that stops early does not read, it does not pay for: line and column are computed from
 * offsets only when asked (an error, or the tree's positions), and raw characters are checked chunk by
 * chunk as the scan reaches them, never behind a token already handed out (a poll that stops at the
 * first item of a 500-item page checks the first chunk, not the page).
 */
import { codePointLabel, indexOfNonXmlCharacter } from "./xml-text.ts";

export interface Position {
  /** 1-based. */
  line: number;
  /** 1-based, in UTF-16 code units of the decoded text (after line-end normalization). */
  column: number;
}

export class XmlSyntaxError extends Error {
  override name = "XmlSyntaxError";
  constructor(
    readonly reason: string,
    readonly line: number,
    readonly column: number,
    /** False for what concerns the whole document (empty, no root): the message then names no place. */
    located = true,
  ) {
    super(located ? `${reason} (line ${line}, column ${column})` : reason);
  }
}

export interface XmlScanOptions {
  /** What the messages call the document ("feed", "document"). */
  subject: string;
  /** Deepest nesting accepted (the root is depth 1). */
  maxDepth: number;
}

export enum XmlToken {
  /** The end of the input, every element closed (anything else is an XmlSyntaxError). */
  End,
  /** name, at, selfClosing and the attributes. An empty-element tag is followed by its EndElement. */
  StartElement,
  /** name, at. */
  EndElement,
  /** value (entities decoded), at. Only inside the root: white space outside it is skipped. */
  Text,
  /** value (verbatim), at. */
  Cdata,
  /** The XML declaration: value is its source from "<?xml" up to (without) "?>", at. Other processing instructions and comments are skipped. */
  Declaration,
}

/** XML 1.0 §2.3 Name, loosely: any non-ASCII counts as a name character. Sticky: matches at lastIndex only. */
const NAME = /[A-Za-z_:\u0080-\uFFFF][\w.:\u0080-\uFFFF-]*/y;

/** "&", a body, and ";" if there is one. [^;&]* stops at the next "&", so each character is scanned once. */
const REFERENCE = /&([^;&]*)(;?)/g;

/** XML 1.0 §4.6. A Map, so "&constructor;" or "&__proto__;" cannot reach Object.prototype. */
const PREDEFINED_ENTITIES = new Map(Object.entries({ lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" }));

/**
 * Characters checked ahead of the scan at a time. A document shorter than this is checked whole before
 * its first token, so a bad character in it is reported before any other error, as a whole-document
 * check would.
 */
const CHECK_CHUNK = 16 * 1024;

/** Below this many attributes in one tag a linear look-up finds duplicates fastest; above it, a Set keeps it linear. */
const FEW_ATTRIBUTES = 16;

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const BANG = 0x21;
const QUESTION = 0x3f;

const isSpace = (code: number): boolean => code === 0x20 || code === 0x0a || code === 0x09 || code === 0x0d;

/** Code points a character reference may produce (XML 1.0 §2.2 Char, §4.1 WFC: Legal Character). */
const isXmlChar = (c: number): boolean =>
  c === 0x09 || c === 0x0a || c === 0x0d || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);

/**
 * Pull tokens with next(); read the token's fields until the next call. Errors are XmlSyntaxErrors with
 * line and column; a caller reports its own with fail(). Stopping early is just not pulling any more.
 */
export interface XmlScanner {
  /** The text scanned: without a leading BOM, line ends normalized to "\n" (XML 1.0 §2.11). Offsets index it. */
  readonly src: string;
  /** Qualified name as written (StartElement, EndElement). */
  name: string;
  /** Text, Cdata, Declaration. */
  value: string;
  /** Offset of the token: its "<", or the first character of a text. */
  at: number;
  /** StartElement: an empty-element tag ("<a/>"). */
  selfClosing: boolean;
  /**
   * StartElement: the attributes in document order, values decoded, white space in them read as
   * spaces (XML 1.0 §3.3.3), each with the offset of its name. Only the first attributeCount entries
   * are this tag's: the arrays are reused from tag to tag.
   */
  readonly attributeNames: string[];
  readonly attributeValues: string[];
  readonly attributeOffsets: number[];
  attributeCount: number;
  next(): XmlToken;
  /** Line and column of an offset. The line index is built on the first call. */
  position(at: number): Position;
  fail(reason: string, at: number): never;
}

// A closure, not a class: the Worker's bundle is minified, and local names shrink where properties do not.
export function scanXml(input: string, options: XmlScanOptions): XmlScanner {
  const { subject, maxDepth } = options;
  const unprefixed = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  // A replace() copies even when nothing matches: most feeds have no CR at all.
  const src = unprefixed.includes("\r") ? unprefixed.replace(/\r\n?/g, "\n") : unprefixed;
  const length = src.length;
  if (!src.trim()) throw new XmlSyntaxError(`the ${subject} is empty`, 1, 1, false);

  const names: string[] = [];
  const values: string[] = [];
  const offsets: number[] = [];
  /** Open elements, innermost last: their names (an end tag must repeat one exactly) and offsets. */
  const openNames: string[] = [];
  const openOffsets: number[] = [];
  let pos = 0;
  /** src[0, checkedTo) holds only characters XML allows. */
  let checkedTo = 0;
  /** The last StartElement was an empty-element tag: the next token is its end. */
  let pendingEnd = false;
  let lineStarts: number[] | undefined;
  /** The root element has started. */
  let rooted = false;

  const position = (at: number): Position => {
    if (!lineStarts) {
      lineStarts = [0];
      for (let i = src.indexOf("\n"); i >= 0; i = src.indexOf("\n", i + 1)) lineStarts.push(i + 1);
    }
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
    const { line, column } = position(Math.min(at, length));
    throw new XmlSyntaxError(reason, line, column);
  };

  /** Makes sure src[0, end) holds only characters XML allows (XML 1.0 §2.2), checking a chunk beyond it too. */
  const checkThrough = (end: number): void => {
    if (end <= checkedTo) return;
    let to = Math.min(length, Math.max(end, checkedTo + CHECK_CHUNK));
    // Never split a surrogate pair: its first half alone would read as unpaired.
    const last = src.charCodeAt(to - 1);
    if (last >= 0xd800 && last <= 0xdbff && to < length) to++;
    const bad = indexOfNonXmlCharacter(src, checkedTo, to);
    if (bad >= 0) fail(`character ${codePointLabel(src.codePointAt(bad)!)} is not allowed in XML`, bad);
    checkedTo = to;
  };

  const readName = (at: number): string => {
    NAME.lastIndex = at;
    const match = NAME.exec(src);
    return match ? match[0] : fail(at >= length ? `the ${subject} ends in the middle of a tag` : "expected an element or attribute name", at);
  };

  /** Replace entity and character references (XML 1.0 §4.1); anything else after "&" is an error. */
  const decode = (text: string, at: number): string => {
    const first = text.indexOf("&");
    if (first < 0) return text;
    const parts: string[] = [];
    let from = 0;
    REFERENCE.lastIndex = first;
    // exec, not replace: the first bad reference stops the scan instead of matching all the others first.
    for (let match: RegExpExecArray | null; (match = REFERENCE.exec(text)); from = REFERENCE.lastIndex) {
      const body = match[1]!;
      const where = at + match.index;
      if (!match[2]) fail('"&" must start an entity like &amp; (write & as &amp;)', where);
      const numeric = /^#(x[\da-f]+|\d+)$/i.exec(body);
      let value = PREDEFINED_ENTITIES.get(body);
      if (numeric) {
        const digits = numeric[1]!;
        const code = digits[0] === "x" || digits[0] === "X" ? parseInt(digits.slice(1), 16) : parseInt(digits, 10);
        if (!isXmlChar(code)) fail(`&${body}; is not a character XML allows`, where);
        value = String.fromCodePoint(code);
      } else if (value === undefined) {
        fail(`unknown entity &${body}; (only &lt; &gt; &amp; &quot; &apos; and &#...; are allowed)`, where);
      }
      parts.push(text.slice(from, match.index), value!);
    }
    parts.push(text.slice(from));
    return parts.join("");
  };

  const startTag = (lt: number): XmlToken => {
    const name = readName(lt + 1);
    let count = 0;
    let many: Set<string> | undefined;
    let i = lt + 1 + name.length;
    let selfClosing = false;
    for (;;) {
      const spaced = i;
      while (isSpace(src.charCodeAt(i))) i++;
      if (i >= length) fail(`<${name}> is not finished`, lt);
      const code = src.charCodeAt(i);
      if (code === GT) {
        i++;
        break;
      }
      if (code === SLASH && src.charCodeAt(i + 1) === GT) {
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
      const raw = src.slice(i + 1, close);
      if (raw.includes("<")) fail(`"<" is not allowed in the value of attribute ${attribute}`, i);
      let duplicate = false;
      if (count < FEW_ATTRIBUTES) {
        for (let k = 0; k < count && !duplicate; k++) duplicate = names[k] === attribute;
      } else {
        many ??= new Set(names.slice(0, count));
        duplicate = many.has(attribute);
        many.add(attribute);
      }
      if (duplicate) fail(`attribute ${attribute} appears twice in <${name}>`, attributeAt);
      checkThrough(close + 1);
      names[count] = attribute;
      // XML 1.0 §3.3.3: literal white space in attribute values reads as spaces.
      values[count] = decode(raw.replace(/[\t\n]/g, " "), i + 1);
      offsets[count] = attributeAt;
      count++;
      i = close + 1;
    }
    checkThrough(i);
    scanner.attributeCount = count;
    const depth = openNames.length;
    if (depth === 0) {
      if (rooted) fail(`a second root element <${name}>`, lt);
      rooted = true;
    }
    if (depth >= maxDepth) fail(`elements are nested more than ${maxDepth} deep`, lt);
    openNames.push(name);
    openOffsets.push(lt);
    scanner.name = name;
    scanner.at = lt;
    scanner.selfClosing = pendingEnd = selfClosing;
    pos = i;
    return XmlToken.StartElement;
  };

  const endTag = (lt: number): XmlToken => {
    const name = readName(lt + 2);
    let i = lt + 2 + name.length;
    while (isSpace(src.charCodeAt(i))) i++;
    if (src.charCodeAt(i) !== GT) fail(`</${name}> is not finished`, lt);
    checkThrough(i + 1);
    const open = openNames.pop();
    if (open === undefined) fail(`</${name}> closes nothing`, lt);
    const openedAt = openOffsets.pop()!;
    if (open !== name) fail(`</${name}> does not match <${open}> of line ${position(openedAt).line}`, lt);
    scanner.name = name;
    scanner.at = lt;
    pos = i + 1;
    return XmlToken.EndElement;
  };

  const next = (): XmlToken => {
    if (pendingEnd) {
      // name and at stay those of the empty-element tag.
      pendingEnd = false;
      openNames.pop();
      openOffsets.pop();
      return XmlToken.EndElement;
    }
    while (pos < length) {
      const lt = pos;
      if (src.charCodeAt(lt) !== LT) {
        let end = src.indexOf("<", lt);
        if (end < 0) end = length;
        checkThrough(end);
        const text = src.slice(lt, end);
        pos = end;
        if (openNames.length > 0) {
          scanner.value = decode(text, lt);
          scanner.at = lt;
          return XmlToken.Text;
        }
        if (/\S/.test(text)) fail(rooted ? `text after the end of the ${subject}` : `text before the first element: this is not an XML ${subject}`, lt);
        continue;
      }
      const kind = src.charCodeAt(lt + 1);
      if (kind === BANG) {
        if (src.startsWith("<!--", lt)) {
          const close = src.indexOf("-->", lt + 4);
          if (close < 0) fail("a comment is not closed (missing -->)", lt);
          pos = close + 3;
          continue;
        }
        if (src.startsWith("<![CDATA[", lt)) {
          const close = src.indexOf("]]>", lt + 9);
          if (close < 0) fail("a CDATA section is not closed (missing ]]>)", lt);
          if (openNames.length === 0) fail("CDATA outside the root element", lt);
          checkThrough(close + 3);
          scanner.value = src.slice(lt + 9, close);
          scanner.at = lt;
          pos = close + 3;
          return XmlToken.Cdata;
        }
        fail(
          /^<!doctype/i.test(src.slice(lt, lt + 9))
            ? `<!DOCTYPE> is not allowed in a ${subject} (no DTDs, no custom entities)`
            : 'unexpected "<!" (only comments and CDATA sections start that way)',
          lt,
        );
      }
      if (kind === QUESTION) {
        const target = readName(lt + 2);
        const close = src.indexOf("?>", lt + 2 + target.length);
        if (close < 0) fail("a processing instruction is not closed (missing ?>)", lt);
        pos = close + 2;
        if (target.toLowerCase() === "xml") {
          if (rooted) fail("<?xml ...?> may only come before the root element", lt);
          checkThrough(pos);
          scanner.value = src.slice(lt, close);
          scanner.at = lt;
          return XmlToken.Declaration;
        }
        continue;
      }
      return kind === SLASH ? endTag(lt) : startTag(lt);
    }
    checkThrough(length);
    const depth = openNames.length;
    if (depth > 0) fail(`<${openNames[depth - 1]}> is not closed: it starts on line ${position(openOffsets[depth - 1]!).line}`, length);
    if (!rooted) throw new XmlSyntaxError(`the ${subject} has no root element`, 1, 1, false);
    return XmlToken.End;
  };

  const scanner: XmlScanner = {
    src,
    name: "",
    value: "",
    at: 0,
    selfClosing: false,
    attributeNames: names,
    attributeValues: values,
    attributeOffsets: offsets,
    attributeCount: 0,
    next,
    position,
    fail,
  };
  checkThrough(1); // the first chunk, before any token
  return scanner;
}
