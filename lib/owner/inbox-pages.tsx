/**
 * The owner's pages of the inbox: conversations (received and sent messages grouped by
 * the other party), one conversation, and reply notifications with what checking them found. They
 * read the same store functions as the owner API (lib/inbox/store.ts): one store, one set of rules.
 *
 * Strangers' text is escaped by JSX (usernames, messages) or sanitized (the replier's post HTML,
 * lib/shared/sanitize-html.ts); links to strangers' pages are only ever absolute http(s) URLs.
 */
import { raw } from "hono/html";
import type { Child, FC } from "hono/jsx";
import type { ConversationSummary } from "../inbox/store.ts";
import type { InboxMessage, InboxReply } from "../shared/api-types.ts";
import { sanitizeHtml } from "../shared/sanitize-html.ts";
import { LIMITS } from "../shared/spec.ts";
import { ActionButton, ErrorAlert, Notice, peerParam, SafeLink, When } from "./components.tsx";

const ConversationItem: FC<{ conversation: ConversationSummary }> = ({ conversation }) => (
  <li>
    <h3>
      <a href={`/owner/inbox/conversations/${peerParam(conversation.peer)}`}>@{conversation.username}</a>{" "}
      {conversation.unread > 0 ? <span class="badge">{`${conversation.unread} unread`}</span> : null}
    </h3>
    <p class="owner-text">
      {conversation.last_direction === "sent" ? "You: " : ""}
      {conversation.last_message.length > 200 ? `${conversation.last_message.slice(0, 199)}…` : conversation.last_message}
    </p>
    <p class="owner-meta">
      <When iso={conversation.last_at} /> · {conversation.total} message{conversation.total === 1 ? "" : "s"} ·{" "}
      <SafeLink href={conversation.user_link}>their feed</SafeLink>
    </p>
  </li>
);

/**
 * Who wrote it (docs/signing.md): signed with a key their feed publishes, or only claimed; and a name
 * that imitates the owner's or a followed account's in another script (lib/inbox/lookalike.ts).
 */
export const SenderMarks: FC<{ item: InboxMessage | InboxReply }> = ({ item }) => (
  <>
    {item.proof === "signed" ? (
      <span class="badge proof-signed" title={`Signed with a key ${item.user_link} publishes`}>
        signed by their feed
      </span>
    ) : item.proof === "not_proven" ? (
      <span class="badge proof-unproven" title="Not signed: who sent it is only claimed">
        not proven
      </span>
    ) : null}
    {item.lookalike ? (
      <>
        {" "}
        <span class="badge lookalike" role="alert">{`look-alike of @${item.lookalike}: another script`}</span>
      </>
    ) : null}
  </>
);

const VERIFICATION_TEXT: Record<InboxReply["verification"], string> = {
  pending: "being checked",
  verified: "verified",
  rejected: "rejected",
  unreachable: "their feed could not be read",
};

export const ReplyItem: FC<{ reply: InboxReply; returnTo: string }> = ({ reply, returnTo }) => (
  <li>
    <h3>
      @{reply.username} on your post <a href={`/posts/${reply.post_id}/`}>#{reply.post_id}</a>{" "}
      <span class="badge">{VERIFICATION_TEXT[reply.verification]}</span> <SenderMarks item={reply} /> {reply.read_at ? null : <span class="badge">unread</span>}
    </h3>
    {reply.item_html ? <div class="owner-post">{raw(sanitizeHtml(reply.item_html))}</div> : null}
    <p class="owner-meta">
      <When iso={reply.received_at} /> · their item {reply.status_id} · <SafeLink href={reply.item_link ?? reply.user_link}>open it</SafeLink>
      {reply.verification_detail && reply.verification !== "verified" ? (
        <>
          {" · "}
          {reply.verification_detail}
        </>
      ) : null}
    </p>
    {reply.moderation === "approved" ? (
      <p class="owner-meta">Approved to be shown under your post: `npm run replies -- pull` writes it into the repository.</p>
    ) : null}
    <div class="owner-actions">
      {reply.verification === "verified" && reply.moderation === null ? (
        <ActionButton
          action={`/owner/inbox/replies/${reply.id}/approve`}
          label={`Show under your post: reply from @${reply.username}`}
          returnTo={returnTo}
          primary
        />
      ) : null}
      {reply.verification === "verified" ? (
        <>
          <a href={`/owner/write?reply_inbox=${reply.id}`}>{`Reply to @${reply.username}`}</a>{" "}
          <a href={`/owner/write?repost_inbox=${reply.id}`}>{`Repost @${reply.username}`}</a>{" "}
        </>
      ) : null}
      {reply.moderation === null ? (
        <ActionButton action={`/owner/inbox/replies/${reply.id}/reject`} label={`Never show: reply from @${reply.username}`} returnTo={returnTo} />
      ) : null}
      {reply.read_at ? null : (
        <ActionButton action={`/owner/inbox/replies/${reply.id}/read`} label={`Mark read: reply from @${reply.username}`} returnTo={returnTo} />
      )}
      <ActionButton action={`/owner/inbox/replies/${reply.id}/delete`} label={`Delete: reply from @${reply.username}`} returnTo={returnTo} />
    </div>
  </li>
);

export const InboxPage: FC<{
  conversations: ConversationSummary[];
  olderConversations?: string;
  replies: InboxReply[];
  olderReplies?: string;
  notice?: string;
}> = (props) => (
  <>
    <h1>Inbox</h1>
    <Notice notice={props.notice} />
    <p>
      <a href="/owner/inbox/webmentions">Webmentions received</a> (replies, likes and reposts from other sites)
    </p>
    <section aria-labelledby="conversations">
      <h2 id="conversations">Conversations</h2>
      {props.conversations.length ? (
        <ul class="owner-list">
          {props.conversations.map((conversation) => (
            <ConversationItem conversation={conversation} />
          ))}
        </ul>
      ) : (
        <p>No messages yet.</p>
      )}
      {props.olderConversations ? <a href={props.olderConversations}>Older conversations</a> : null}
    </section>
    <section aria-labelledby="replies">
      <h2 id="replies">Reply notifications</h2>
      {props.replies.length ? (
        <ul class="owner-list">
          {props.replies.map((reply) => (
            <ReplyItem reply={reply} returnTo="/owner/inbox#replies" />
          ))}
        </ul>
      ) : (
        <p>No reply notifications yet.</p>
      )}
      {props.olderReplies ? <a href={props.olderReplies}>Older reply notifications</a> : null}
    </section>
  </>
);

const MessageItem: FC<{ message: InboxMessage; returnTo: string }> = ({ message, returnTo }) => (
  <li class={message.direction === "sent" ? "from-me" : undefined}>
    <p class="owner-meta">
      {message.direction === "sent" ? "You wrote" : `@${message.username} wrote`} · <When iso={message.received_at} />
      {message.direction === "received" ? (
        <>
          {" "}
          <SenderMarks item={message} />
        </>
      ) : null}
      {message.direction === "received" && !message.read_at ? (
        <>
          {" "}
          <span class="badge">unread</span>
        </>
      ) : null}
    </p>
    <p class="owner-text">{message.message}</p>
    <div class="owner-actions">
      {message.direction === "received" && !message.read_at ? (
        <ActionButton action={`/owner/inbox/messages/${message.id}/read`} label="Mark read" returnTo={returnTo} />
      ) : null}
      <ActionButton action={`/owner/inbox/messages/${message.id}/delete`} label="Delete" returnTo={returnTo} />
    </div>
  </li>
);

export const ConversationPage: FC<{
  peer: string;
  username: string;
  userLink: string;
  /** Oldest first. */
  messages: InboxMessage[];
  earlier?: string;
  notice?: string;
  /** Messages to them the outbox has not delivered (outbox-pages.tsx's UndeliveredMessages), if any. */
  undelivered?: Child;
  /** The answer form, when the outbox can send. */
  canAnswer: boolean;
  /** Why the last answer was not sent; `draft` is its text, kept in the form. */
  error?: string;
  draft?: string;
}> = (props) => {
  const here = `/owner/inbox/conversations/${peerParam(props.peer)}`;
  return (
    <>
      <h1>Conversation with @{props.username}</h1>
      <p class="owner-meta">
        <SafeLink href={props.userLink}>{props.userLink}</SafeLink>
      </p>
      <Notice notice={props.notice} />
      {props.earlier ? <a href={props.earlier}>Earlier messages</a> : null}
      <ul class="owner-list">
        {props.messages.map((message) => (
          <MessageItem message={message} returnTo={here} />
        ))}
      </ul>
      <div class="owner-actions">
        <ActionButton action={`${here}/read`} label="Mark the whole conversation read" returnTo={here} />
      </div>
      {props.undelivered ?? null}
      {props.canAnswer ? (
        <form class="owner-form" method="post" action={`${here}/answer`} aria-labelledby="answer-heading">
          <h2 id="answer-heading">Answer @{props.username}</h2>
          <ErrorAlert error={props.error} />
          <label for="answer">Your message</label>
          <textarea id="answer" name="message" required maxlength={LIMITS.messageLength} autofocus={props.error !== undefined}>
            {props.draft ?? ""}
          </textarea>
          <p class="owner-meta">
            Skein reads their feed, checks they take messages from you, and sends it now; if their server is down, the outbox tries again.
          </p>
          <div class="owner-actions">
            <button type="submit" class="primary">
              Send
            </button>
          </div>
        </form>
      ) : null}
    </>
  );
};
