/**
 * npm run screenshots [-- --out DIR]: the README's pictures of the owner's pages. Starts the bundled
 * example site (Wren, following bob, carmen and dmitri) in a throw-away copy under `wrangler dev`, as
 * `npm start` runs it, fills its local D1 with a fixed set of messages, timeline posts and outbox items
 * (fixed dates, so the pictures change only when the pages do), signs in with chromium and saves
 *
 *   owner-overview-{phone,desktop}.png       /owner/
 *   owner-conversation-{phone,desktop}.png   /owner/inbox/conversations/<bob>
 *   owner-timeline-{phone,desktop}.png       /owner/timeline (five posts a page)
 *   owner-outbox-{phone,desktop}.png         /owner/outbox
 *
 * to docs/screenshots/ (or --out). Needs Debian's chromium (apt-get install chromium), like the
 * browser tests. Your own site, D1 and token are never touched. The overview's "last 24 hours" and
 * "last 7 days" figures count from the real clock, so with these fixed dates they show 0.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Browser } from "playwright-core";
import { isEntryPoint } from "../lib/cli/entry-point.ts";
import { CliError, parseCommandLine, runCommand, UsageError } from "../lib/cli/run.ts";
import { CHROMIUM, chromiumAvailable, launchChromium } from "../lib/harness/browser.ts";
import { createProjectCopy, type ProjectCopy, REPO_ROOT } from "../lib/harness/project-copy.ts";
import { freePort } from "../lib/harness/static-server.ts";
import { buildProject, type LocalServer, migrateLocal, run, startDev, WRANGLER } from "../lib/harness/wrangler-server.ts";
import { normalizeUserLink } from "../lib/shared/urls.ts";

export const USAGE = `Usage: npm run screenshots [-- --out DIR]

  Starts the example site in a throw-away copy with fixed data, and saves pictures of the owner's
  pages (overview, conversation, timeline, outbox) on a phone and a desktop to docs/screenshots/
  (or DIR). Needs chromium (apt-get install chromium).`;

export const VIEWPORTS = [
  { name: "phone", width: 390, height: 844 },
  { name: "desktop", width: 1280, height: 800 },
] as const;

/** The example's owner and the accounts in the example's follows.yaml. */
const WREN = { user_id: "8d3c6f0e-2b1a-4e57-9c4d-1f6a2e9b7c30", feed: "https://wren.example/feed.xml" };
const PEOPLE = {
  bob: { user_id: "0e9a7c52-61f4-4d3b-b8a2-7c5e1d9f0a13", name: "Bob Baker", link: "https://bob.example/feed.xml" },
  carmen: { user_id: "c41d2e8f-7a6b-4c95-93e0-5b2f8d1a6e47", name: "Carmen Ruiz", link: "https://carmen.example/microblog/feed.xml" },
  dmitri: { user_id: "7f2b9e14-3c8d-4a61-b5f0-9d4e2a7c1b88", name: null, link: "https://dmitri.example/feed.xml" },
  juniper: { user_id: "5b8f3a2c-9d41-4e06-8a7b-2c1d0e9f8a64", name: null, link: "https://juniper.example/feed.xml" },
} as const;
type Who = keyof typeof PEOPLE;

function sql(value: string | number | null): string {
  if (value === null) return "NULL";
  if (typeof value === "number") return String(value);
  return `'${value.replace(/'/g, "''")}'`;
}

const row = (values: (string | number | null)[]) => `(${values.map(sql).join(", ")})`;
const ms = (iso: string) => Date.parse(iso);
const postLink = (who: Who, guid: string) => PEOPLE[who].link.replace(/feed\.xml$/, `posts/${guid}/`);
const peer = (who: Who) => [PEOPLE[who].user_id, who, PEOPLE[who].link, normalizeUserLink(PEOPLE[who].link) ?? PEOPLE[who].link];

interface SeedPost {
  who: Who;
  guid: string;
  at: string;
  html: string;
  mention?: boolean;
  replyTo?: object;
  repost?: object;
}

const TIMELINE: SeedPost[] = [
  { who: "dmitri", guid: "88", at: "2026-03-21T18:40:00Z", html: "<p>Spring migration count this morning: 41 cranes over the ridge. <em>Forty-one!</em></p>" },
  {
    who: "carmen",
    guid: "207",
    at: "2026-03-21T16:05:00Z",
    html: "<p>@wren your inbox post convinced me: setting mine up tonight.</p>",
    mention: true,
    replyTo: { user_id: WREN.user_id, status_id: "5", user_link: WREN.feed },
  },
  {
    who: "bob",
    guid: "32",
    at: "2026-03-21T11:20:00Z",
    html: "<p>New sourdough schedule:</p><ul><li>levain at 8</li><li>mix at 12</li><li>bake at 18</li></ul>",
  },
  {
    who: "carmen",
    guid: "206",
    at: "2026-03-20T21:10:00Z",
    html: "<p>The best crumb shot I have seen all year.</p>",
    repost: { user_id: PEOPLE.bob.user_id, status_id: "31", user_link: PEOPLE.bob.link, pubdate: "2026-03-20T09:00:00Z" },
  },
  {
    who: "dmitri",
    guid: "87",
    at: "2026-03-20T14:00:00Z",
    html: '<p>Wrote up how I read <a href="https://dmitri.example/notes/feeds">my feeds</a> without an app.</p><p><img src="https://dmitri.example/img/reader.png" alt="my reader"></p>',
  },
  {
    who: "bob",
    guid: "31",
    at: "2026-03-20T09:00:00Z",
    html: '<p>Crumb shot of today\'s loaf.</p><p><img src="https://bob.example/img/crumb.jpg" alt="crumb"></p>',
  },
  { who: "bob", guid: "30", at: "2026-03-19T08:00:00Z", html: "<p>@wren thanks for the rye tip, it worked.</p>", mention: true },
];

/** The fixed data: what the owner's pages then show. */
export function seedSql(): string {
  const statements: string[] = [];
  statements.push(
    `INSERT INTO timeline_items (user_id, username, name, user_link, guid, published_ms, received_ms, html, link, in_reply_to, repost, mention) VALUES\n${TIMELINE.map(
      (post) =>
        row([
          PEOPLE[post.who].user_id,
          post.who,
          PEOPLE[post.who].name,
          PEOPLE[post.who].link,
          post.guid,
          ms(post.at),
          ms(post.at) + 60_000,
          post.html,
          postLink(post.who, post.guid),
          post.replyTo ? JSON.stringify(post.replyTo) : null,
          post.repost ? JSON.stringify(post.repost) : null,
          post.mention ? 1 : 0,
        ]),
    ).join(",\n")};`,
  );
  const messages: [Who, "received" | "sent", string, string, string | null][] = [
    ["bob", "received", "Are you coming to the bread swap on Saturday? I'll bring a starter for you.", "2026-03-21T09:15:00Z", "2026-03-21T09:30:00Z"],
    ["bob", "sent", "Yes! I'll bring the rye crackers.", "2026-03-21T09:40:00Z", "2026-03-21T09:40:00Z"],
    ["bob", "received", "Perfect. 10am at the market hall.\nLook for the blue awning.", "2026-03-21T10:02:00Z", null],
    ["carmen", "received", "Quick question about your inbox: does it really run on the free plan?", "2026-03-21T16:10:00Z", null],
  ];
  statements.push(
    `INSERT INTO messages (direction, peer_user_id, peer_username, peer_user_link, peer_link_normalized, body, sent_at_raw, sent_at_iso, received_at, read_at) VALUES\n${messages
      .map(([who, direction, body, at, read]) => row([direction, ...peer(who), body, new Date(ms(at)).toUTCString().replace("GMT", "+0000"), at, at, read]))
      .join(",\n")};`,
  );
  statements.push(
    `INSERT INTO replies (post_id, sender_user_id, sender_username, sender_user_link, sender_link_normalized, status_id, received_at, verification, verification_detail, verified_at, attempts, item_html, item_link, item_date) VALUES\n${row(
      [
        5,
        ...peer("carmen"),
        "207",
        "2026-03-21T16:06:00Z",
        "verified",
        null,
        "2026-03-21T16:06:02Z",
        1,
        TIMELINE[1]!.html,
        postLink("carmen", "207"),
        "2026-03-21T16:05:00Z",
      ],
    )};`,
  );
  // kind, post_id, status_id, who, body, state, attempts, http_status, next_attempt_at, last_error, created_at, sent_at
  const outbox: [
    string,
    number | null,
    string | null,
    Who,
    string | null,
    string,
    number,
    number | null,
    string | null,
    string | null,
    string,
    string | null,
  ][] = [
    ["reply", 2, "17", "bob", null, "sent", 1, 201, null, null, "2026-02-01T12:01:00Z", "2026-02-01T12:02:00Z"],
    ["mention", 3, "", "carmen", null, "sent", 1, 201, null, null, "2026-02-14T08:06:00Z", "2026-02-14T08:07:00Z"],
    ["message", null, null, "bob", "Yes! I'll bring the rye crackers.", "sent", 1, 201, null, null, "2026-03-21T09:40:00Z", "2026-03-21T09:40:00Z"],
    [
      "message",
      null,
      null,
      "juniper",
      "Hello Juniper, may I write to you about your garden notes?",
      "refused",
      1,
      403,
      null,
      "https://juniper.example/api/message answered HTTP 403: accept=selected, and you are not selected",
      "2026-03-21T12:30:00Z",
      null,
    ],
    [
      "message",
      null,
      null,
      "dmitri",
      "Loved the crane count. Where on the ridge were you?",
      "queued",
      2,
      503,
      "2026-03-21T19:30:00Z",
      "https://dmitri.example/api/message answered HTTP 503; tried again later",
      "2026-03-21T18:55:00Z",
      null,
    ],
  ];
  statements.push(
    `INSERT INTO outbox (kind, post_id, status_id, peer_user_id, peer_username, peer_user_link, peer_link_normalized, body, date_raw, target_url, state, attempts, http_status, next_attempt_at, last_error, created_at, updated_at, sent_at) VALUES\n${outbox
      .map(([kind, postId, statusId, who, body, state, attempts, status, next, error, created, sent]) =>
        row([
          kind,
          postId,
          statusId,
          ...peer(who),
          body,
          body ? new Date(ms(created)).toUTCString().replace("GMT", "+0000") : null,
          PEOPLE[who].link.replace(/feed\.xml$/, kind === "message" ? "api/message" : `api/posts/${statusId || "40"}/reply`),
          state,
          attempts,
          status,
          next,
          error,
          created,
          sent ?? created,
          sent,
        ]),
      )
      .join(",\n")};`,
  );
  return `${statements.join("\n\n")}\n`;
}

/** Sign in as the owner and save the four pages at each size. */
async function shoot(browser: Browser, server: LocalServer, token: string, outDir: string): Promise<string[]> {
  const written: string[] = [];
  for (const viewport of VIEWPORTS) {
    const context = await browser.newContext({ viewport, colorScheme: "light", deviceScaleFactor: 1, reducedMotion: "reduce" });
    const page = await context.newPage();
    await page.goto(`${server.url}/owner/sign-in`);
    await page.getByLabel("Owner token").fill(token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${server.url}/owner/`);
    const save = async (name: string) => {
      const file = path.join(outDir, `owner-${name}-${viewport.name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      written.push(file);
    };
    await save("overview");
    await page.goto(`${server.url}/owner/inbox`);
    await page.getByRole("link", { name: "@bob" }).click();
    await page.waitForSelector("h1");
    await save("conversation");
    await page.goto(`${server.url}/owner/timeline?limit=5`);
    await save("timeline");
    await page.goto(`${server.url}/owner/outbox`);
    await save("outbox");
    await context.close();
  }
  return written;
}

export async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandLine(argv, {
    out: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) return void console.log(USAGE);
  if (positionals.length) throw new UsageError(`unexpected ${JSON.stringify(positionals[0])}`);
  if (!chromiumAvailable) throw new CliError(`${CHROMIUM} is missing; install it with: apt-get install chromium`);
  const outDir = path.resolve(values.out ?? path.join(REPO_ROOT, "docs", "screenshots"));
  mkdirSync(outDir, { recursive: true });

  let project: ProjectCopy | undefined;
  let server: LocalServer | undefined;
  let browser: Browser | undefined;
  try {
    project = createProjectCopy();
    const port = await freePort();
    const token = randomUUID();
    buildProject(project, `http://127.0.0.1:${port}`);
    migrateLocal(project);
    project.write("seed.sql", seedSql());
    const seeded = run(WRANGLER, ["d1", "execute", "DB", "--local", "--file", "seed.sql"], project.root);
    if (seeded.status !== 0) throw new CliError(`the example data could not be stored: ${(seeded.stderr || seeded.stdout).trim().split("\n").at(-1)}`);
    server = await startDev(project, port, { OWNER_TOKEN: token });
    browser = await launchChromium();
    const written = await shoot(browser, server, token, outDir);
    for (const file of written) console.log(path.relative(process.cwd(), file));
  } finally {
    await browser?.close();
    await server?.stop();
    project?.cleanup();
  }
}

if (isEntryPoint(import.meta.url)) await runCommand("npm run screenshots", USAGE, main);
