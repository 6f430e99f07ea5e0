/**
 * The owner's pages of the outbox: every reply and mention notification and every private message
 * Skein sent or tries to send, with its state, its tries, why it is not sent (yet) and when it is
 * tried next; a Retry button for what was refused or failed; and the form to write a new message.
 * The rows are the owner API's own OutboxItem (lib/outbox/store.ts), shown as they are.
 *
 * Their username and our error texts (which may quote a stranger's server) are escaped by JSX; links
 * to strangers are only ever absolute http(s) URLs (SafeLink).
 */
import type { FC } from "hono/jsx";
import { OUTBOX_STATES, type OutboxItem, type OutboxState } from "../shared/api-types.ts";
import { LIMITS } from "../shared/spec.ts";
import { ActionButton, ErrorAlert, Notice, SafeLink, When } from "./components.tsx";

/** What each state means to the owner, beside its name (never colour alone). */
const STATE_TEXT: Record<OutboxState, string> = {
  queued: "waiting to be sent",
  sent: "sent",
  refused: "refused by the receiver",
  failed: "not sent",
  cancelled: "cancelled",
};

export const RETRYABLE: readonly OutboxState[] = ["refused", "failed"];

/** "@bob" (or their feed URL when their username is not known yet). */
function whoOf(item: OutboxItem): string {
  return item.username ? `@${item.username}` : item.user_link;
}

/** What the row is, in the owner's words: "Message to @bob", "Reply to @bob's post 7 (your post #3)". */
function whatOf(item: OutboxItem): string {
  const who = whoOf(item);
  if (item.kind === "message") return `Message to ${who}`;
  if (item.kind === "reply") return `Reply notification to ${who} (their post ${item.status_id ?? "?"}, your post #${item.post_id})`;
  return `Mention notification to ${who} (your post #${item.post_id})`;
}

/** The row's tries, answer and next step, in one line of facts. */
const Facts: FC<{ item: OutboxItem }> = ({ item }) => (
  <p class="owner-meta">
    {item.attempts === 1 ? "1 try" : `${item.attempts} tries`}
    {item.http_status !== null ? ` · their last answer: HTTP ${item.http_status}` : ""}
    {item.state === "queued" ? (
      <>
        {" · next try: "}
        {item.next_attempt_at ? <When iso={item.next_attempt_at} /> : "at the next run"}
      </>
    ) : null}
    {item.sent_at ? (
      <>
        {" · sent "}
        <When iso={item.sent_at} />
      </>
    ) : null}
    {" · created "}
    <When iso={item.created_at} />
  </p>
);

export const OutboxEntry: FC<{ item: OutboxItem; postUrlPrefix: string }> = ({ item, postUrlPrefix }) => (
  <li id={`item-${item.id}`}>
    <h3>
      {whatOf(item)}{" "}
      <span class="badge" title={STATE_TEXT[item.state]}>
        {item.state}
      </span>
    </h3>
    {item.message !== null ? <p class="owner-text">{item.message}</p> : null}
    {item.last_error && item.state !== "sent" ? (
      <p class="owner-reason">
        <strong>{item.state === "queued" ? "Why it waits: " : "Why: "}</strong>
        {item.last_error}
      </p>
    ) : null}
    <Facts item={item} />
    <p class="owner-meta">
      Outbox item {item.id} · <SafeLink href={item.user_link}>their feed</SafeLink>
      {item.post_id !== null ? (
        <>
          {" · "}
          <SafeLink href={`${postUrlPrefix}${item.post_id}/`}>{`your post #${item.post_id}`}</SafeLink>
        </>
      ) : null}
    </p>
    {RETRYABLE.includes(item.state) ? (
      <div class="owner-actions">
        <ActionButton action={`/owner/outbox/${item.id}/retry`} label={`Retry: ${whatOf(item).split(" (")[0]}`} returnTo="/owner/outbox" primary />
      </div>
    ) : null}
  </li>
);

/** Under a conversation: the messages to them that are not delivered, with why and when next. */
export const UndeliveredMessages: FC<{ items: OutboxItem[]; returnTo: string }> = ({ items, returnTo }) => (
  <section aria-labelledby="undelivered">
    <h2 id="undelivered">Not delivered yet</h2>
    <ul class="owner-list">
      {items.map((item) => (
        <li id={`item-${item.id}`} class="from-me">
          <p class="owner-meta">
            You wrote · <span class="badge">{item.state}</span> {STATE_TEXT[item.state]}
          </p>
          <p class="owner-text">{item.message ?? ""}</p>
          {item.last_error ? <p class="owner-reason">{item.last_error}</p> : null}
          <Facts item={item} />
          {RETRYABLE.includes(item.state) ? (
            <div class="owner-actions">
              <ActionButton action={`/owner/outbox/${item.id}/retry`} label={`Retry: message to ${whoOf(item)}`} returnTo={returnTo} primary />
            </div>
          ) : null}
        </li>
      ))}
    </ul>
    <p>
      <a href="/owner/outbox">All of it in the outbox</a>
    </p>
  </section>
);

export const OutboxPage: FC<{
  items: OutboxItem[];
  state?: OutboxState;
  older?: string;
  notice?: string;
  error?: string;
  postUrlPrefix: string;
}> = (props) => (
  <>
    <h1>Outbox</h1>
    <p>Everything Skein sends for you: reply and mention notifications of your posts, and your private messages.</p>
    <Notice notice={props.notice} />
    <ErrorAlert error={props.error} />
    <p>
      <a href="/owner/outbox/write">Write a new message</a>
    </p>
    <form class="owner-form owner-filter" method="get" action="/owner/outbox">
      <div>
        <label for="state">Show</label>
        <select id="state" name="state">
          <option value="" selected={props.state === undefined}>
            Everything
          </option>
          {OUTBOX_STATES.map((state) => (
            <option value={state} selected={props.state === state}>
              {`${state}: ${STATE_TEXT[state]}`}
            </option>
          ))}
        </select>
      </div>
      <button type="submit">Filter</button>
    </form>
    {props.items.length ? (
      <ul class="owner-list">
        {props.items.map((item) => (
          <OutboxEntry item={item} postUrlPrefix={props.postUrlPrefix} />
        ))}
      </ul>
    ) : (
      <p>{props.state ? `Nothing is ${props.state}.` : "Nothing sent yet."}</p>
    )}
    {props.older ? (
      <p class="owner-pager">
        <a href={props.older}>Older items</a>
      </p>
    ) : null}
  </>
);

export const WritePage: FC<{ recipient: string; draft: string; error?: string; follows: readonly { username: string }[] }> = (props) => (
  <>
    <h1>Write a message</h1>
    <p>A private message (spec "Private Messaging"): Skein reads their feed, checks that they take messages from you, and sends it now.</p>
    <form class="owner-form" method="post" action="/owner/outbox/write">
      <ErrorAlert error={props.error} />
      <label for="recipient">To</label>
      <input
        id="recipient"
        name="recipient"
        type="text"
        required
        maxlength={LIMITS.urlLength}
        list="followed"
        autocomplete="off"
        spellcheck={false}
        aria-describedby="recipient-help"
        value={props.recipient}
        autofocus={props.error !== undefined}
      />
      <p id="recipient-help" class="owner-meta">
        Their feed URL, their profile page URL, or @username of someone you follow.
      </p>
      <datalist id="followed">
        {props.follows.map((follow) => (
          <option value={`@${follow.username}`} />
        ))}
      </datalist>
      <label for="message">Your message</label>
      <textarea id="message" name="message" required maxlength={LIMITS.messageLength}>
        {props.draft}
      </textarea>
      <div class="owner-actions">
        <button type="submit" class="primary">
          Send
        </button>
      </div>
    </form>
  </>
);
