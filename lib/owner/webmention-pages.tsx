/**
 * The owner's webmention pages: those received (beside the inbox's reply notifications), with their
 * kind, author, words and check, and Approve / Hide (the owner API's moderation); and those our posts
 * send (beside the outbox), with their state and why one is not sent. A stranger's name, words and
 * URLs are text to JSX (escaped); links to them are SafeLinks (absolute http(s) only).
 */
import type { FC } from "hono/jsx";
import type { ReceivedWebmention, WebmentionSendItem } from "../shared/api-types.ts";
import { ActionButton, Notice, SafeLink, When } from "./components.tsx";

const KIND_TEXT = { reply: "replied to", like: "liked", repost: "reposted", mention: "mentioned" } as const;

const Received: FC<{ mention: ReceivedWebmention }> = ({ mention }) => {
  const who = mention.author_name ?? mention.source;
  const what = mention.post_id === null ? "your profile" : `your post #${mention.post_id}`;
  const action = `/owner/inbox/webmentions/${mention.id}/moderation`;
  const back = "/owner/inbox/webmentions";
  return (
    <li id={`webmention-${mention.id}`}>
      <h3>
        <SafeLink href={mention.author_url}>{who}</SafeLink> {mention.kind ? KIND_TEXT[mention.kind] : "mentioned"} {what}{" "}
        <span class="badge">{mention.state}</span>
        {mention.moderation ? <span class="badge">{mention.moderation}</span> : null}
      </h3>
      {mention.content ? <p class="owner-text">{mention.content}</p> : null}
      {mention.state !== "verified" && mention.detail ? <p class="owner-reason">{mention.detail}</p> : null}
      <p class="owner-meta">
        Webmention w{mention.id} · <SafeLink href={mention.url ?? mention.source}>their page</SafeLink> · received <When iso={mention.received_at} />
      </p>
      {mention.state === "verified" && mention.post_id !== null ? (
        <div class="owner-actions">
          {mention.moderation !== "approved" ? <ActionButton action={`${action}/approved`} label="Approve for the site" returnTo={back} primary /> : null}
          {mention.moderation !== "hidden" ? <ActionButton action={`${action}/hidden`} label="Hide" returnTo={back} /> : null}
        </div>
      ) : null}
    </li>
  );
};

export const ReceivedPage: FC<{ items: ReceivedWebmention[]; notice?: string | undefined }> = ({ items, notice }) => (
  <>
    <h1>Webmentions received</h1>
    <Notice notice={notice} />
    <p>
      Replies, likes, reposts and mentions from other sites (W3C Webmention), checked at their source. An approved one is shown under its post once
      <code> npm run replies -- pull </code> writes it into the repository and you push. <a href="/owner/inbox">Back to the inbox</a>
    </p>
    {items.length ? (
      <ul class="owner-list">
        {items.map((mention) => (
          <Received mention={mention} />
        ))}
      </ul>
    ) : (
      <p>No webmention yet.</p>
    )}
  </>
);

const Sent: FC<{ item: WebmentionSendItem }> = ({ item }) => (
  <li id={`sent-${item.id}`}>
    <h3>
      Post #{item.post_id} to <SafeLink href={item.target}>{item.target}</SafeLink> <span class="badge">{item.state}</span>
    </h3>
    {item.state !== "sent" && item.detail ? <p class="owner-reason">{item.detail}</p> : null}
    <p class="owner-meta">
      {item.reason === "new" ? "a new link" : item.reason === "updated" ? "the post changed" : "the post was deleted"} ·{" "}
      {item.attempts === 1 ? "1 try" : `${item.attempts} tries`}
      {item.http_status !== null ? ` · their answer: HTTP ${item.http_status}` : ""}
      {item.sent_at ? (
        <>
          {" · sent "}
          <When iso={item.sent_at} />
        </>
      ) : null}
    </p>
  </li>
);

export const SentPage: FC<{ items: WebmentionSendItem[] }> = ({ items }) => (
  <>
    <h1>Webmentions sent</h1>
    <p>
      Each page your posts link to is told once the post is live, and again when the post changes or is deleted. <a href="/owner/outbox">Back to the outbox</a>
    </p>
    {items.length ? (
      <ul class="owner-list">
        {items.map((item) => (
          <Sent item={item} />
        ))}
      </ul>
    ) : (
      <p>No webmention sent yet.</p>
    )}
  </>
);
