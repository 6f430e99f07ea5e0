/**
 * The golden fixture: a small site that uses every feature the feeds can express, rendered with
 * tiny limits so the main feed has several archive pages and both list feeds are paginated.
 */

import { FULL_PROFILE, fixedDate, listYaml, type PostSpec, person, profileYaml, type SiteContent } from "../../../lib/harness/factories.ts";
import type { BuildOptions } from "../../../lib/publish/site.ts";

const bob = person(0, { username: "bob" });
// Ids and links may carry "&" and ";": they must come back from the XML exactly as written.
const urn = person(2, { user_id: "tag:friend2.example,2026:user&id=2;v", user_link: "https://friend2.example/feed.xml?user=2&format=rss" });
const carmen = person(1, { username: "carmen" });

export const GOLDEN_POSTS: PostSpec[] = [
  { name: "01-hello.md", date: fixedDate(0), body: "Hello, **world**! A first post with a [link](https://example.org/a?b=1&c=2).\n" },
  {
    name: "02-reply.md",
    date: fixedDate(1),
    body: "@bob Agreed: a feed you own beats a platform you rent.\n",
    replyTo: { user_id: bob.user_id, username: bob.username, user_link: bob.user_link, status_id: 17 },
  },
  {
    name: "03-repost.md",
    date: fixedDate(2),
    repost: {
      user_id: carmen.user_id,
      username: carmen.username,
      user_link: carmen.user_link,
      status_id: "203",
      pubdate: fixedDate(1, 13),
      text: "The first swifts are back over the river.",
    },
  },
  {
    name: "04-repost-comment.md",
    date: fixedDate(3),
    body: "So true, and *so* early this year.\n",
    repost: { user_id: carmen.user_id, user_link: carmen.user_link, status_id: "204", pubdate: "2026-01-03T23:30:00+01:00", text: "Swifts sleep on the wing." },
  },
  { name: "05-francais.md", date: "2026-01-05T10:30:00+01:00", language: "fr", body: "Petit essai en français : le pain est sorti du four à sept heures.\n" },
  {
    name: "06-markup.md",
    date: fixedDate(5),
    // Raw HTML passes through markdown as is, so "]]>" reaches the CDATA section literally (twice).
    body: 'Tom & Jerry wrote `]]>` and <script>alert("x & y")</script> inline.\n\n<div class="raw">A raw ]]> block, &amp; another ]]> end.</div>\n',
  },
  { name: "07-emoji.md", date: fixedDate(6), language: "en", body: "Birds 🐦🦜, music 𝄞, flags 🇫🇷 and combining é (e\u0301).\n" },
  { name: "08-imported.md", date: fixedDate(7), id: 100, body: "Imported from my old service, where this post was number 100.\n" },
  { name: "09-after-import.md", date: fixedDate(8), body: "The next post continues after the imported id.\n" },
];

export const GOLDEN_CONTENT: SiteContent = {
  profile: profileYaml({ ...FULL_PROFILE, full_name: "Ada &amp; Co. (Q&A;) <ok>" }),
  follows: listYaml([bob, carmen, urn, person(3, { since: undefined }), person(4)]),
  blocks: listYaml([person(10, { username: "spam.cannon" }), person(11), person(12)]),
  posts: GOLDEN_POSTS,
};

export const GOLDEN_OPTIONS: BuildOptions = {
  feedLimits: { maxItems: 3, maxBytes: 3800, headerReserveBytes: 2000 },
  listLimits: { maxItems: 2, maxBytes: 20_000, headerReserveBytes: 2000 },
  htmlPageSize: 4,
};
