/**
 * Approved webmentions (W3C Webmention, received by the Worker and verified there): the owner shows
 * them under a post like approved replies, in the same `posts/replies/<guid>.yaml` file, written by
 * `npm run replies -- approve w<id>`. An entry is told apart by its `webmention:` key (the source
 * URL). What it holds was read from a stranger's page, so it is plain text and http(s) URLs only,
 * checked like every other field; the page escapes it all.
 */
import * as z from "zod/mini";
import { httpUrl, xmlSafe } from "../shared/schemas.ts";
import { isoDateWithZone } from "./site-schemas.ts";

/** What a webmention is (Post Type Discovery, as the Worker read it). */
export const WEBMENTION_KINDS = ["reply", "like", "repost", "mention"] as const;
export const MAX_WEBMENTION_TEXT = 2000;

const plainText = (max: number) =>
  z.string().check(
    z.minLength(1, "must not be empty"),
    z.maxLength(max, `must be at most ${max} characters`),
    xmlSafe(),
    z.refine((value: string) => !/[<>]/.test(value), "is plain text: no < or >"),
  );

export const approvedWebmentionEntry = z.strictObject({
  /** The source page that mentions our post. */
  webmention: httpUrl,
  kind: z.enum(WEBMENTION_KINDS),
  date: isoDateWithZone,
  /** The response's own URL (its u-url), when it differs from the source. */
  url: z.optional(httpUrl),
  /** Its author (p-author): name and URL, when the page says. */
  name: z.optional(plainText(100)),
  author_url: z.optional(httpUrl),
  /** What it says, as plain text. */
  text: z.optional(plainText(MAX_WEBMENTION_TEXT)),
});
export type ApprovedWebmentionEntry = z.output<typeof approvedWebmentionEntry>;

/** Is this raw list entry a webmention (rather than an Open Microblog reply)? */
export function isWebmentionEntry(raw: unknown): boolean {
  return typeof raw === "object" && raw !== null && "webmention" in raw;
}
