/**
 * Skein's shapes, part 2: what the build reads -- profile.yaml, follows.yaml/blocks.yaml and post
 * front matter -- made of the building blocks in lib/shared/schemas.ts (see its header for why two files).
 */
import * as z from "zod/mini";
import { parseIsoDateTime } from "../shared/dates.ts";
import { httpUrl, idPattern, languageTag, otherUserId, otherUsername, xmlSafe } from "../shared/schemas.ts";
import { MAX_PUBLISHED_KEYS } from "../shared/signing-keys.ts";
import { ACCEPT_POLICIES, LIMITS, OPEN_MICROBLOG_DOCS } from "../shared/spec.ts";
import { parseHttpUrl } from "../shared/urls.ts";

/** Our own username: Twitter-like, 1-25 letters, digits or underscores (spec: "A Twitter-like username"). */
export const ownUsername = z.string().check(z.regex(/^[A-Za-z0-9_]{1,25}$/, "must be 1-25 letters (A-Z, a-z), digits or underscores"));

/** Our own user_id: a UUID (spec: "A universally unique ... id ... (Think UUID)"). */
export const ownUserId = z
  .string()
  .check(
    z.regex(
      /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/,
      "must be a UUID such as 3f0c2a4e-8b1d-4c55-9a0e-6d2b7c1e9f10 (run `npm run init` to make one)",
    ),
  );

export const statusId = z
  .pipe(
    z.union([z.string(), z.int().check(z.nonnegative("must be a non-negative integer"))], {
      error: (issue) => (issue.input === undefined ? "is required" : "must be text or a non-negative integer"),
    }),
    z.transform((value) => String(value)),
  )
  .check(z.refine((value: string) => idPattern.test(value), "must be 1-128 URL-safe characters"));

/** A picture: an absolute URL, or a path on this site starting with "/". */
export const imageRef = z.string().check(
  z.maxLength(LIMITS.urlLength, `must be at most ${LIMITS.urlLength} characters`),
  z.refine(
    (value: string) => parseHttpUrl(value) !== undefined || /^\/[^\s<>"]*$/.test(value),
    "must be an absolute http(s) URL or a site path starting with /",
  ),
);

export { languageTag } from "../shared/schemas.ts";

/** A date that names its zone, e.g. 2026-03-01T09:30:00Z or 2026-03-01T10:30:00+01:00. */
export const isoDateWithZone = z.pipe(
  z.string({ error: (issue) => (issue.input === undefined ? "is required" : "must be a date such as 2026-03-01T09:30:00Z") }),
  z.transform((value: string, ctx) => {
    const epochMs = parseIsoDateTime(value);
    if (epochMs === undefined) {
      ctx.issues.push({
        code: "custom",
        input: value,
        message: `"${value}" is not an ISO 8601 date with a time and a zone, e.g. 2026-03-01T09:30:00Z`,
      });
      return z.NEVER;
    }
    return epochMs;
  }),
);

const boundedText = (max: number) =>
  z.string().check(z.trim(), z.minLength(1, "must not be empty"), z.maxLength(max, `must be at most ${max} characters`), xmlSafe());

/** A person in the follows, blocks or selected lists (spec "Alternate Feed Layout": user_id, user_name, user_link). */
export const listEntry = z.strictObject({
  user_id: otherUserId,
  username: otherUsername,
  user_link: httpUrl,
  /** When the entry was added; the newest one becomes the list feed's lastBuildDate. */
  since: z.optional(isoDateWithZone),
});
export type ListEntry = z.output<typeof listEntry>;

/** A sender the owner accepts under accept=selected: matched by user_id or by user_link. */
export const selectedSender = z
  .strictObject({
    user_id: z.optional(otherUserId),
    username: z.optional(otherUsername),
    user_link: z.optional(httpUrl),
  })
  .check(z.refine((value) => value.user_id !== undefined || value.user_link !== undefined, "a selected sender needs a user_id or a user_link"));
export type SelectedSender = z.output<typeof selectedSender>;

/** At most this many rel="me" links on the profile page. */
export const MAX_PROFILE_LINKS = 10;

/** At most this many hubs: the deploy pings each of them for each feed (lib/websub/publish-job.ts). */
export const MAX_HUBS = 5;

/**
 * A WebSub hub the feeds declare (rel="hub"): `self` (Skein's own hub on the Worker) or an https URL.
 * Plain http only for a hub on this machine (localhost, 127.0.0.1, [::1]): a local hub for trying
 * things out; anywhere else a ping in clear text could be altered on the way.
 */
export const hubRef = z.string().check(
  z.refine((value: string) => {
    if (value === "self") return true;
    const url = parseHttpUrl(value);
    if (!url || value.length > LIMITS.urlLength || /\s/.test(value)) return false;
    return url.protocol === "https:" || ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
  }, "must be `self` (Skein's own hub) or an https:// URL (http:// only for localhost)"),
);

/** One published signing key: the raw Ed25519 public key (base64url), and the end of its grace period if retiring. */
const signingKey = z.strictObject({
  key: z.string("must be a base64url Ed25519 public key").check(z.regex(/^[A-Za-z0-9_-]{43}$/, "must be a base64url Ed25519 public key (43 characters)")),
  until: z.optional(
    z
      .string("must be a date and time in UTC")
      .check(z.regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/, "must be a date and time in UTC, like 2026-12-21T00:00:00Z")),
  ),
});

export const profile = z.strictObject({
  username: ownUsername,
  user_id: ownUserId,
  full_name: z.optional(boundedText(LIMITS.fullNameLength)),
  bio: z.optional(boundedText(LIMITS.bioLength)),
  language: languageTag,
  /** Absolute URL the site is served from; SKEIN_URL overrides it for preview builds. */
  url: httpUrl,
  portrait: z.optional(imageRef),
  header: z.optional(imageRef),
  accept: z._default(z.enum(ACCEPT_POLICIES, `must be one of ${ACCEPT_POLICIES.join(", ")}`), "everyone"),
  selected: z._default(z.array(selectedSender), []),
  public_blocks: z._default(z.boolean("must be true or false"), false),
  /** Spec "Relocation": the new feed's URL, on the head feed page only. `relocate: null` (or no line) = not moving. */
  relocate: z.optional(
    z.pipe(
      z.nullable(httpUrl),
      z.transform((value) => value ?? undefined),
    ),
  ),
  /** Base URL of the functions when they are hosted apart from the site (default: same origin). */
  functions_url: z.optional(httpUrl),
  /** Your other profiles (Mastodon, GitHub, ...), shown on the profile page as rel="me" links (microformats2 identity). */
  links: z._default(z.array(httpUrl).check(z.maxLength(MAX_PROFILE_LINKS, `must list at most ${MAX_PROFILE_LINKS} links`)), []),
  /** Opt in to Bridgy Fed: /.well-known/webfinger and host-meta redirect to it (docs/reach.md). */
  bridgy_fed: z._default(z.boolean("must be true or false"), false),
  docs: z._default(httpUrl, OPEN_MICROBLOG_DOCS),
  /**
   * Skein's signing keys, published on the head feed (docs/signing.md): written by `npm run init` and
   * `npm run keys -- rotate`, never by hand. The private halves are Worker secrets, never here.
   */
  signing_keys: z._default(z.array(signingKey).check(z.maxLength(MAX_PUBLISHED_KEYS, `must list at most ${MAX_PUBLISHED_KEYS} keys`)), []),
  /** Messages and notifications claiming a followed or selected account must be signed (docs/signing.md). */
  require_signatures: z._default(z.boolean("must be true or false"), false),
  /** WebSub hubs the feeds declare (rel="hub"), pinged after each deploy; `self` = Skein's own hub. */
  hubs: z._default(
    z.array(hubRef).check(
      z.maxLength(MAX_HUBS, `must list at most ${MAX_HUBS} hubs`),
      z.refine((list: string[]) => new Set(list).size === list.length, "must not list the same hub twice"),
    ),
    [],
  ),
});
export type Profile = z.output<typeof profile>;

const otherUserRef = {
  user_id: otherUserId,
  user_link: httpUrl,
  status_id: statusId,
  username: z.optional(otherUsername),
  /** Their item's own page, when known: the post page's u-in-reply-to / u-repost-of (microformats2). */
  link: z.optional(httpUrl),
};

export const postFrontMatter = z
  .strictObject({
    date: isoDateWithZone,
    id: z.optional(
      z
        .pipe(
          z.union([z.int().check(z.nonnegative("must be a non-negative integer")), z.string().check(z.regex(/^\d{1,15}$/, "must be a non-negative integer"))], {
            error: (issue) => (issue.input === undefined ? "is required" : "must be a non-negative integer"),
          }),
          z.transform((value) => Number(value)),
        )
        .check(z.refine((value: number) => Number.isSafeInteger(value), "must be a non-negative integer")),
    ),
    language: z.optional(languageTag),
    reply_to: z.optional(z.strictObject(otherUserRef)),
    /** A reply to a web page that is not an Open Microblog item (an IndieWeb post): its URL; sent a webmention. */
    in_reply_to: z.optional(httpUrl),
    repost: z.optional(
      z.strictObject({
        ...otherUserRef,
        pubdate: isoDateWithZone,
        text: boundedText(100_000),
      }),
    ),
  })
  .check(
    z.refine((value) => !(value.reply_to && value.repost), "a post can be a reply or a repost, not both"),
    z.refine((value) => !(value.in_reply_to && (value.reply_to || value.repost)), "in_reply_to (a web page) cannot be combined with reply_to or repost"),
  );
export type PostFrontMatter = z.output<typeof postFrontMatter>;
