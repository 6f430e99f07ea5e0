/**
 * npm run replies -- [command]: choose which verified replies the site shows under your posts.
 *
 *   list                 verified replies you have not decided on, and approved ones not written yet
 *   approve <id>         check the reply again at its source and write it into posts/replies/<post>.yaml
 *   approve w<id>        a verified webmention (npm run inbox -- list webmentions): written there too, with its kind
 *   approve --all        every verified, undecided reply from an account in follows.yaml
 *   reject <id>          never list it again
 *   pull                 write every reply approved on the owner's pages that is not in the repository yet
 *
 *   --url, --token, --json   as for every command
 *
 * What is shown is what is in the repository: commit and push posts/replies/ to publish (npm start
 * rebuilds at once); removing an entry un-shows it. Approving fetches the replier's feed from this
 * machine: their item must still exist and still reply to your post (or mention you), else nothing is
 * written. The text kept is their item's HTML as the sanitizer leaves it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { isDocument, parseDocument } from "yaml";
import { isEntryPoint } from "../lib/cli/entry-point.ts";
import { resolveTarget } from "../lib/cli/local-server.ts";
import { oneLine, renderTable, shortTime, terminalSafeJson } from "../lib/cli/output.ts";
import { OWNER_COMMAND_OPTIONS, OwnerApi } from "../lib/cli/owner-api.ts";
import { CliError, parseCommandLine, runCommand, UsageError } from "../lib/cli/run.ts";
import { verifyReply } from "../lib/inbox/verify-reply.ts";
import { type ApprovedReplyEntry, approvedReplyEntry, REPLIES_DIR, repliesFile } from "../lib/publish/replies.ts";
import { siteConfigFromModel } from "../lib/publish/site-config.ts";
import { approvedWebmentionEntry } from "../lib/publish/webmention-responses.ts";
import type { InboxReply, ListPage, ReceivedWebmention } from "../lib/shared/api-types.ts";
import { Budget } from "../lib/shared/budget.ts";
import { formatIsoUtc, parseFlexibleDate } from "../lib/shared/dates.ts";
import { parseInteger } from "../lib/shared/integers.ts";
import { sanitizeHtml } from "../lib/shared/sanitize-html.ts";
import { describeIssues } from "../lib/shared/schemas.ts";
import { normalizeUserLink, parseHttpUrl } from "../lib/shared/urls.ts";
import { loadSiteModel } from "../lib/site-build/site-source.ts";

export const USAGE = `Usage: npm run replies -- [command] [options]

  list              verified replies not decided yet, and approved ones not in the repository yet (default)
  approve <id>      check the reply at its source again and write it into ${REPLIES_DIR}/<post>.yaml
  approve w<id>     a verified webmention (npm run inbox -- list webmentions), written there with its kind
  approve --all     every verified, undecided reply from an account in follows.yaml
  reject <id>       never list this reply again (w<id>: hide that webmention)
  pull              write the replies approved on the owner's pages that are not in the repository yet

  --url URL, --token TOKEN, --json   as for every command`;

/** One reply's check at its source, from this machine: the same check the Worker ran, run again. */
const CHECK_BUDGET = { subrequests: 6, bytes: 2 * 1024 * 1024, durationMs: 15_000 };

interface Outcome {
  id: number;
  /** "w12" for a webmention. */
  ref?: string;
  /** Who, when it is not an @username (a webmention's author). */
  from?: string;
  post_id: number;
  username: string;
  result: "written" | "already shown" | "refused" | "rejected";
  detail: string;
}

function readEntries(root: string, postId: number): { file: string; entries: ApprovedReplyEntry[] } {
  const file = path.join(root, repliesFile(postId));
  if (!existsSync(file)) return { file, entries: [] };
  const data = parseDocument(readFileSync(file, "utf8")).toJS() as unknown;
  const entries: ApprovedReplyEntry[] = [];
  for (const raw of Array.isArray(data) ? data : []) {
    const checked = approvedReplyEntry.safeParse(raw);
    if (checked.success) entries.push(checked.data);
  }
  return { file, entries };
}

function isShown(root: string, reply: InboxReply): boolean {
  return readEntries(root, reply.post_id).entries.some((entry) => entry.user_id === reply.user_id && entry.guid === reply.status_id);
}

/** Append one entry to the post's replies file, keeping what is there (comments included). */
function appendEntry(root: string, postId: number, entry: Record<string, unknown>): void {
  const file = path.join(root, repliesFile(postId));
  mkdirSync(path.dirname(file), { recursive: true });
  const doc = existsSync(file)
    ? parseDocument(readFileSync(file, "utf8"))
    : parseDocument(`# Replies shown under post ${postId} (npm run replies -- approve writes this; remove an entry to un-show it).\n[]\n`);
  if (!isDocument(doc) || (doc.contents !== null && !Array.isArray(doc.toJS())))
    throw new CliError(`${repliesFile(postId)} is not a YAML list; fix or remove it first`);
  const list = doc.toJS() as unknown[] | null;
  doc.contents = doc.createNode([...(list ?? []), entry]) as typeof doc.contents;
  writeFileSync(file, doc.toString({ lineWidth: 0 }));
}

async function approve(api: OwnerApi, root: string, reply: InboxReply): Promise<Outcome> {
  const base = { id: reply.id, post_id: reply.post_id, username: reply.username };
  if (reply.verification !== "verified")
    return { ...base, result: "refused", detail: `it is ${reply.verification}, not verified: only a reply its sender's feed backs can be shown` };
  if (isShown(root, reply)) {
    if (reply.moderation !== "approved") await api.call("POST", `/api/inbox/replies/${reply.id}/moderation`, { moderation: "approved" });
    return { ...base, result: "already shown", detail: `already in ${repliesFile(reply.post_id)}` };
  }
  const config = siteConfigFromModel(loadSiteModel(root));
  const outcome = await verifyReply(
    { owner: config.owner, postId: reply.post_id, sender: { user_id: reply.user_id, user_link: reply.user_link }, statusId: reply.status_id },
    { fetch: (input, init) => fetch(input, init), allowLoopback: true, budget: new Budget(CHECK_BUDGET, Date.now) },
  );
  const item = outcome.item;
  if (outcome.verification !== "verified" || !item?.html) {
    return { ...base, result: "refused", detail: `not written: ${outcome.detail}` };
  }
  const itemHtml = item.html;
  const entry: Record<string, unknown> = { user_id: reply.user_id, username: reply.username, user_link: reply.user_link };
  if (outcome.feed?.profile && parseHttpUrl(outcome.feed.profile)) entry.profile = outcome.feed.profile;
  if (outcome.feed?.full_name) entry.name = oneLine(outcome.feed.full_name).slice(0, 100);
  entry.guid = reply.status_id;
  const dated = item.date ? parseFlexibleDate(item.date) : undefined;
  entry.date = formatIsoUtc(dated ?? Date.parse(reply.received_at));
  if (item.link && parseHttpUrl(item.link)) entry.link = item.link;
  // An answer to another reply nests under it; an answer to our post needs no note.
  const target = item.in_reply_to;
  const toOurPost =
    target &&
    target.status_id === String(reply.post_id) &&
    (target.user_id === config.owner.user_id || normalizeUserLink(target.user_link ?? "") === normalizeUserLink(config.owner.feed_url));
  if (target && !toOurPost) entry.in_reply_to = target;
  entry.text = sanitizeHtml(itemHtml).trim();
  const checked = approvedReplyEntry.safeParse(entry);
  if (!checked.success) return { ...base, result: "refused", detail: `not written: ${describeIssues(checked.error.issues).join("; ")}` };
  appendEntry(root, reply.post_id, entry);
  await api.call("POST", `/api/inbox/replies/${reply.id}/moderation`, { moderation: "approved" });
  return { ...base, result: "written", detail: `written to ${repliesFile(reply.post_id)}` };
}

// ---------------------------------------------------------------------------------------------
// Webmentions (w<id>): verified by the Worker (lib/webmention/verify-job.ts); what it read is kept.

/** One webmention: the newest page before id + 1 starts with it when it exists. */
async function getWebmention(api: OwnerApi, id: number): Promise<ReceivedWebmention> {
  const page = (await api.call<{ items: ReceivedWebmention[] }>("GET", `/api/webmentions?before=${id + 1}`)).body!;
  const found = page.items[0];
  if (found?.id !== id) throw new CliError(`there is no webmention ${id}`);
  return found;
}

function webmentionShown(root: string, postId: number, source: string): boolean {
  const file = path.join(root, repliesFile(postId));
  if (!existsSync(file)) return false;
  const data = parseDocument(readFileSync(file, "utf8")).toJS() as unknown;
  return Array.isArray(data) && data.some((raw) => typeof raw === "object" && raw !== null && (raw as { webmention?: unknown }).webmention === source);
}

export function webmentionEntry(mention: ReceivedWebmention): Record<string, unknown> {
  const entry: Record<string, unknown> = { webmention: mention.source, kind: mention.kind ?? "mention" };
  const published = mention.published ? parseFlexibleDate(mention.published) : undefined;
  entry.date = formatIsoUtc(published ?? Date.parse(mention.received_at));
  if (mention.url && mention.url !== mention.source && parseHttpUrl(mention.url)) entry.url = mention.url;
  if (mention.author_name) entry.name = oneLine(mention.author_name).replace(/[<>]/g, "").slice(0, 100);
  if (mention.author_url && parseHttpUrl(mention.author_url)) entry.author_url = mention.author_url;
  if (mention.content) entry.text = oneLine(mention.content).replace(/[<>]/g, "").slice(0, 2000);
  for (const key of ["name", "text"]) if (entry[key] === "") delete entry[key];
  return entry;
}

async function approveWebmention(api: OwnerApi, root: string, mention: ReceivedWebmention): Promise<Outcome> {
  const from = mention.author_name ? oneLine(mention.author_name).slice(0, 40) : new URL(mention.source).host;
  const base = { id: mention.id, ref: `w${mention.id}`, from, post_id: mention.post_id ?? 0, username: "" };
  if (mention.state !== "verified")
    return { ...base, result: "refused", detail: `it is ${mention.state}, not verified: only a source that links to your post can be shown` };
  if (mention.post_id === null) return { ...base, result: "refused", detail: "it mentions your profile page, not a post: there is no post to show it under" };
  if (webmentionShown(root, mention.post_id, mention.source)) {
    if (mention.moderation !== "approved") await api.call("POST", `/api/webmentions/${mention.id}/moderation`, { moderation: "approved" });
    return { ...base, result: "already shown", detail: `already in ${repliesFile(mention.post_id)}` };
  }
  const entry = webmentionEntry(mention);
  const checked = approvedWebmentionEntry.safeParse(entry);
  if (!checked.success) return { ...base, result: "refused", detail: `not written: ${describeIssues(checked.error.issues).join("; ")}` };
  appendEntry(root, mention.post_id, entry);
  await api.call("POST", `/api/webmentions/${mention.id}/moderation`, { moderation: "approved" });
  return { ...base, result: "written", detail: `written to ${repliesFile(mention.post_id)} (a ${checked.data.kind})` };
}

async function listAll(api: OwnerApi, filters: string): Promise<InboxReply[]> {
  const replies: InboxReply[] = [];
  let cursor: string | null = null;
  do {
    const page: ListPage<InboxReply> = (
      await api.call<ListPage<InboxReply>>("GET", `/api/inbox/replies?limit=100&${filters}${cursor ? `&cursor=${cursor}` : ""}`)
    ).body!;
    replies.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return replies;
}

async function getReply(api: OwnerApi, id: number): Promise<InboxReply> {
  const answer = await api.call<InboxReply>("GET", `/api/inbox/replies/${id}`, undefined, [200, 404]);
  if (answer.status === 404) throw new CliError(`there is no reply ${id}`);
  return answer.body!;
}

function outcomeLines(outcomes: Outcome[]): string[] {
  if (!outcomes.length) return ["Nothing to do."];
  return renderTable(
    outcomes,
    [
      { header: "ID", width: 6, align: "right", value: (o) => o.ref ?? String(o.id) },
      { header: "POST", width: 6, value: (o) => `#${o.post_id}` },
      { header: "FROM", width: 18, value: (o) => o.from ?? `@${o.username}` },
      { header: "RESULT", width: 13, value: (o) => o.result },
      { header: "WHAT", value: (o) => o.detail },
    ],
    110,
  );
}

export async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandLine(argv, {
    ...OWNER_COMMAND_OPTIONS,
    all: { type: "boolean", default: false },
  });
  if (values.help) return void console.log(USAGE);
  const [command = "list", ...rest] = positionals;
  const root = process.cwd();
  const api = new OwnerApi(resolveTarget(root, { url: values.url, token: values.token }));
  const print = (data: unknown, lines: string[]) => console.log(values.json ? terminalSafeJson(data) : lines.join("\n"));
  const idOf = (text: string | undefined) => {
    const id = parseInteger(text, { min: 1 });
    if (id === undefined) throw new UsageError(`${command} needs a reply id, e.g. npm run replies -- ${command} 12`);
    return id;
  };

  if (command === "list") {
    const undecided = await listAll(api, "verification=verified&moderation=none");
    const approved = (await listAll(api, "moderation=approved")).filter((reply) => !isShown(root, reply));
    const rows = [...undecided.map((reply) => ({ reply, state: "verified" })), ...approved.map((reply) => ({ reply, state: "approved, not written" }))];
    const mentions = (await api.call<{ items: ReceivedWebmention[] }>("GET", "/api/webmentions?state=verified")).body!.items.filter(
      (mention) => mention.moderation === null && mention.post_id !== null,
    );
    const mentionLines = mentions.length
      ? [
          "",
          "Webmentions (approve w<id> to show one with its kind):",
          ...renderTable(
            mentions,
            [
              { header: "ID", width: 6, align: "right", value: (m) => `w${m.id}` },
              { header: "RECEIVED (UTC)", width: 16, value: (m) => shortTime(m.received_at) },
              { header: "FROM", width: 18, value: (m) => m.author_name ?? new URL(m.source).host },
              { header: "POST", width: 6, value: (m) => `#${m.post_id}` },
              { header: "KIND", width: 8, value: (m) => m.kind ?? "" },
              { header: "SAYS", value: (m) => oneLine(m.content ?? "") },
            ],
            120,
          ),
        ]
      : [];
    const lines = rows.length
      ? [
          ...renderTable(
            rows,
            [
              { header: "ID", width: 6, align: "right", value: (row) => String(row.reply.id) },
              { header: "RECEIVED (UTC)", width: 16, value: (row) => shortTime(row.reply.received_at) },
              { header: "FROM", width: 18, value: (row) => `@${row.reply.username}` },
              { header: "POST", width: 6, value: (row) => `#${row.reply.post_id}` },
              { header: "STATE", width: 21, value: (row) => row.state },
              { header: "THEIR POST", value: (row) => (row.reply.item_html ? oneLine(row.reply.item_html.replace(/<[^>]*>/g, " ")) : "") },
            ],
            120,
          ),
          "",
          "Show one: npm run replies -- approve <id>   Never list it: npm run replies -- reject <id>",
        ]
      : ["No verified reply waits for your decision."];
    return print({ undecided, approved_not_written: approved, webmentions: mentions }, [...lines, ...mentionLines]);
  }
  const webmentionId = /^w(\d{1,15})$/.exec(rest[0] ?? "")?.[1];
  if (command === "approve" && webmentionId && !values.all) {
    const outcome = await approveWebmention(api, root, await getWebmention(api, Number(webmentionId)));
    print(
      [outcome],
      [...outcomeLines([outcome]), ...(outcome.result === "written" ? ["", `Commit and push ${REPLIES_DIR}/ to show it (npm start rebuilds at once).`] : [])],
    );
    if (outcome.result === "refused") process.exitCode = 1;
    return;
  }
  if (command === "reject" && webmentionId) {
    const id = Number(webmentionId);
    await getWebmention(api, id);
    await api.call("POST", `/api/webmentions/${id}/moderation`, { moderation: "hidden" });
    return print({ id, moderation: "hidden" }, [`webmention ${id} is hidden`]);
  }
  if (command === "approve") {
    const replies = values.all ? await listAll(api, "verification=verified&moderation=none") : [await getReply(api, idOf(rest[0]))];
    let candidates = replies;
    if (values.all) {
      const model = loadSiteModel(root);
      const followed = new Set(model.follows.flatMap((entry) => [`id:${entry.user_id}`, `link:${normalizeUserLink(entry.user_link)}`]));
      candidates = replies.filter((reply) => followed.has(`id:${reply.user_id}`) || followed.has(`link:${normalizeUserLink(reply.user_link)}`));
    }
    const outcomes: Outcome[] = [];
    for (const reply of candidates) outcomes.push(await approve(api, root, reply));
    print(outcomes, [
      ...outcomeLines(outcomes),
      ...(outcomes.some((o) => o.result === "written") ? ["", `Commit and push ${REPLIES_DIR}/ to show them (npm start rebuilds at once).`] : []),
    ]);
    if (!values.all && outcomes[0]?.result === "refused") process.exitCode = 1;
    return;
  }
  if (command === "pull") {
    const approved = (await listAll(api, "moderation=approved")).filter((reply) => !isShown(root, reply));
    const outcomes: Outcome[] = [];
    for (const reply of approved) outcomes.push(await approve(api, root, reply));
    // Webmentions approved on the owner's pages (Approve for the site), not written yet.
    const mentions = (await api.call<{ items: ReceivedWebmention[] }>("GET", "/api/webmentions?state=verified")).body!.items;
    for (const mention of mentions) {
      if (mention.moderation === "approved" && mention.post_id !== null && !webmentionShown(root, mention.post_id, mention.source))
        outcomes.push(await approveWebmention(api, root, mention));
    }
    return print(outcomes, outcomeLines(outcomes));
  }
  if (command === "reject") {
    const id = idOf(rest[0]);
    await getReply(api, id);
    await api.call("POST", `/api/inbox/replies/${id}/moderation`, { moderation: "rejected" });
    return print({ id, moderation: "rejected" }, [`reply ${id} will not be listed again`]);
  }
  throw new UsageError(`unknown command ${JSON.stringify(command)}`);
}

if (isEntryPoint(import.meta.url)) await runCommand("npm run replies", USAGE, main);
