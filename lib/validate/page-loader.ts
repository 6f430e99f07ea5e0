/**
 * Where the validator and the importer get feed pages from: http(s) URLs through the guarded fetch
 * (lib/shared/remote-fetch.ts: address guard on every hop, redirects counted, time and byte caps,
 * one Budget for the whole run), or local files (file: URLs) through a reader the command passes in
 * -- lib/ reads no file itself. Either way the bytes are decoded the way XML says
 * (lib/shared/xml-decoding.ts: BOM, Content-Type charset, the declaration; UTF-16 and Latin-1 too).
 *
 * A local build links its pages by their public URLs (https://you.example/feed/1.xml); mapSite() says
 * that such URLs live in a local folder, so `npm run validate -- _site/feed.xml` reads the whole
 * chain from disk. File URLs are only ever read when a page was itself read from a file: a feed
 * fetched from the web can never make the command read the disk (see lib/validate/walk.ts).
 */
import type { Budget } from "../shared/budget.ts";
import { fetchRemote, type RemoteFailureKind } from "../shared/remote-fetch.ts";
import { err, ok, type Result } from "../shared/result.ts";
import { decodeXmlBytes } from "../shared/xml-decoding.ts";

export interface LoadedPage {
  /** The page's URL: after redirects, or the public URL a local file stands for. */
  url: string;
  /** What to call it in a report: the URL, or the local path it was read from. */
  label: string;
  text: string;
  bytes: number;
  /** The encoding the bytes were decoded from. */
  encoding: string;
  /** Set when every redirect on the way was permanent (301/308). */
  movedTo?: string;
}

export interface LoadFailure {
  kind: RemoteFailureKind | "http" | "missing" | "encoding";
  detail: string;
}

export type ReadFile = (fileUrl: string, maxBytes: number) => Promise<Uint8Array | "missing" | "too-large">;

export interface LoaderOptions {
  fetch: typeof fetch;
  /** Reads file: URLs; without it a file: URL is refused. */
  readFile?: ReadFile;
  /** Let loopback addresses through the address guard (a feed on this machine). */
  allowLoopback: boolean;
  budget: Budget;
  /** Largest page read (bytes); a bigger one is a `too-large` failure, never read whole. */
  maxPageBytes: number;
  timeoutMs: number;
  maxRedirects: number;
  /** How a local file is shown in reports (e.g. relative to the working folder). */
  fileLabel?: (fileUrl: string) => string;
}

export interface PageLoader {
  load(url: string): Promise<Result<LoadedPage, LoadFailure>>;
  /** From now on, URLs under `publicPrefix` (ending in "/") are read from the folder `filePrefix` (a file: URL ending in "/"). */
  mapSite(publicPrefix: string, filePrefix: string): void;
  /** The local file a public URL is read from, if mapped. */
  localFileOf(url: string): string | undefined;
}

export const FEED_ACCEPT = "application/rss+xml, application/atom+xml;q=0.9, application/xml;q=0.8, text/xml;q=0.7, */*;q=0.1";

export function createPageLoader(options: LoaderOptions): PageLoader {
  const sites: { publicPrefix: string; filePrefix: string }[] = [];
  const label = options.fileLabel ?? ((fileUrl: string) => fileUrl);

  const localFileOf = (url: string): string | undefined => {
    for (const site of sites) if (url.startsWith(site.publicPrefix)) return site.filePrefix + url.slice(site.publicPrefix.length).replace(/[?#].*$/, "");
    return undefined;
  };

  const decoded = (bytes: Uint8Array, contentType: string | null, url: string, shown: string): Result<LoadedPage, LoadFailure> => {
    const text = decodeXmlBytes(bytes, contentType);
    if (!text.ok) return err({ kind: "encoding", detail: `${shown}: ${text.error}` });
    return ok({ url, label: shown, text: text.value.text, bytes: bytes.byteLength, encoding: text.value.encoding });
  };

  const readLocal = async (fileUrl: string, publicUrl: string): Promise<Result<LoadedPage, LoadFailure>> => {
    const shown = label(fileUrl);
    if (!options.readFile) return err({ kind: "refused", detail: `${shown}: local files are not read here` });
    const bytes = await options.readFile(fileUrl, options.maxPageBytes);
    if (bytes === "missing") return err({ kind: "missing", detail: `${shown} does not exist` });
    if (bytes === "too-large") return err({ kind: "too-large", detail: `${shown} is larger than ${options.maxPageBytes} bytes` });
    return decoded(bytes, null, publicUrl, shown);
  };

  return {
    mapSite(publicPrefix, filePrefix) {
      sites.push({ publicPrefix, filePrefix });
    },
    localFileOf,
    async load(url) {
      if (url.startsWith("file:")) return readLocal(url, url);
      const local = localFileOf(url);
      if (local) return readLocal(local, url);
      const fetched = await fetchRemote(url, {
        fetch: options.fetch,
        allowLoopback: options.allowLoopback,
        budget: options.budget,
        headers: { Accept: FEED_ACCEPT },
        limits: { timeoutMs: options.timeoutMs, maxBytes: options.maxPageBytes, maxRedirects: options.maxRedirects },
      });
      if (!fetched.ok) return err(fetched.error);
      const answer = fetched.value;
      if (answer.status < 200 || answer.status > 299) return err({ kind: "http", detail: `${answer.url} answered HTTP ${answer.status}` });
      const page = decoded(answer.bytes, answer.headers.get("Content-Type"), answer.url, answer.url);
      if (page.ok && answer.movedTo) page.value.movedTo = answer.movedTo;
      return page;
    },
  };
}
