/**
 * The owner's pages of the timeline: the posts of the accounts they follow, newest first, with a
 * filter by account and "mentions only", each post linking to its original and saying what it
 * replies to or reposts; and the state of each followed feed (what npm run timeline -- status says).
 *
 * The items are the owner API's own TimelineItem (lib/timeline/queries.ts): their `html` has
 * been through sanitizeHtml() there, on the way out of the store, and only that HTML is put in the
 * page unescaped (`raw`). Everything else of theirs (names, usernames, links) is escaped by JSX, and
 * links to them are only ever absolute http(s) URLs.
 */
import { raw } from "hono/html";
import type { FC } from "hono/jsx";
import type { FollowState, FollowStatus, TimelineFollows, TimelineItem } from "../shared/api-types.ts";
import type { FollowedAccount, SiteConfig } from "../shared/site-config.ts";
import { normalizeUserLink, parseHttpUrl } from "../shared/urls.ts";
import { ErrorAlert, Notice, SafeLink, When } from "./components.tsx";

type Owner = SiteConfig["owner"];

/** Someone a post points at (spec "Replies", "Reposts"): user_id and/or user_link. */
interface AccountRef {
  user_id?: string;
  user_link?: string;
}

interface Named {
  /** "you", "@bob", or their feed's host. */
  label: string;
  self: boolean;
  /** A followed account's username (to filter the timeline by it). */
  username?: string;
}

/** Who a reply or repost points at, in the owner's words. */
export function nameOf(ref: AccountRef, owner: Owner, follows: readonly FollowedAccount[]): Named {
  const link = ref.user_link ? normalizeUserLink(ref.user_link) : undefined;
  if ((ref.user_id && ref.user_id === owner.user_id) || (link && link === normalizeUserLink(owner.feed_url))) return { label: "you", self: true };
  const followed = follows.find((follow) => (ref.user_id && follow.user_id === ref.user_id) || (link && follow.link === link));
  if (followed) return { label: `@${followed.username}`, self: false, username: followed.username };
  const host = ref.user_link ? parseHttpUrl(ref.user_link)?.host : undefined;
  return { label: host ?? "someone", self: false };
}

/** A link to one of the owner's own posts, when the status_id is one of our guids (digits). */
function ownPostUrl(owner: Owner, statusId: string | undefined): string | undefined {
  return statusId && /^\d{1,15}$/.test(statusId) ? `${owner.post_url_prefix}${statusId}/` : undefined;
}

const Context: FC<{ item: TimelineItem; owner: Owner; follows: readonly FollowedAccount[] }> = ({ item, owner, follows }) => {
  const lines = [];
  if (item.in_reply_to) {
    const to = nameOf(item.in_reply_to, owner, follows);
    const own = to.self ? ownPostUrl(owner, item.in_reply_to.status_id) : undefined;
    lines.push(
      <p class="owner-context">
        {`Replying to ${to.self ? "you" : to.label}`}
        {own ? (
          <>
            {" · "}
            <a href={own}>{`your post #${item.in_reply_to.status_id}`}</a>
          </>
        ) : item.in_reply_to.user_link ? (
          <>
            {" · "}
            <SafeLink href={item.in_reply_to.user_link}>{to.self ? "your feed" : `${to.label}'s feed`}</SafeLink>
            {item.in_reply_to.status_id ? ` (their post ${item.in_reply_to.status_id})` : ""}
          </>
        ) : null}
      </p>,
    );
  }
  if (item.repost) {
    const from = nameOf(item.repost, owner, follows);
    const own = from.self ? ownPostUrl(owner, item.repost.status_id) : undefined;
    lines.push(
      <p class="owner-context">
        {`Reposted from ${from.self ? "you" : from.label}`}
        {item.repost.pubdate ? ` (their post of ${item.repost.pubdate})` : ""}
        {own ? (
          <>
            {" · "}
            <a href={own}>{`your post #${item.repost.status_id}`}</a>
          </>
        ) : item.repost.user_link ? (
          <>
            {" · "}
            <SafeLink href={item.repost.user_link}>{from.self ? "your feed" : `${from.label}'s feed`}</SafeLink>
          </>
        ) : null}
      </p>,
    );
  }
  return <>{lines}</>;
};

export const TimelinePost: FC<{ item: TimelineItem; owner: Owner; follows: readonly FollowedAccount[] }> = ({ item, owner, follows }) => (
  <li id={`post-${item.id}`}>
    <h2 class="owner-byline">
      {item.name ? (
        <>
          {item.name} <span class="handle">@{item.username}</span>
        </>
      ) : (
        `@${item.username}`
      )}
      {item.mention ? (
        <>
          {" "}
          <span class="badge">mentions you</span>
        </>
      ) : null}
    </h2>
    <p class="owner-meta">
      {item.link && parseHttpUrl(item.link) ? (
        <a href={item.link} rel="nofollow ugc noopener noreferrer">
          <When iso={item.date} />
          <span class="visually-hidden">{`: open @${item.username}'s post`}</span>
        </a>
      ) : (
        <When iso={item.date} />
      )}
    </p>
    <Context item={item} owner={owner} follows={follows} />
    {/* Sanitized by timelineItemOf (lib/timeline/queries.ts): allowlisted tags, http(s) links only, images as links. */}
    <div class="owner-post">{raw(item.html)}</div>
    <p class="owner-meta">
      {item.link && parseHttpUrl(item.link) ? (
        <>
          <SafeLink href={item.link}>Open the original</SafeLink>
          {" · "}
        </>
      ) : null}
      <a href={`/owner/timeline?user=${encodeURIComponent(`@${item.username}`)}`}>{`More from @${item.username}`}</a>
      {" · "}
      <a href={`/owner/write?reply=${item.id}`}>Reply</a>
      {" · "}
      <a href={`/owner/write?repost=${item.id}`}>Repost</a>
    </p>
  </li>
);

/** Is this ?user= value this followed account? (The API's rule: user_id, or username with or without "@", any case.) */
function isAccount(user: string, follow: FollowedAccount): boolean {
  return user === follow.user_id || user.replace(/^@/, "").toLowerCase() === follow.username.toLowerCase();
}

export const TimelinePage: FC<{
  items: TimelineItem[];
  owner: Owner;
  follows: readonly FollowedAccount[];
  user?: string;
  mentions: boolean;
  older?: string;
  notice?: string;
  error?: string;
}> = (props) => {
  const selected = props.user ? props.follows.find((follow) => isAccount(props.user ?? "", follow)) : undefined;
  const scope = `${props.mentions ? "Posts that mention you" : "Posts"}${props.user ? ` from ${selected ? `@${selected.username}` : props.user}` : " of everyone you follow"}, newest first.`;
  return (
    <>
      <h1>Timeline</h1>
      <Notice notice={props.notice} />
      <ErrorAlert error={props.error} />
      <form class="owner-form owner-filter" method="get" action="/owner/timeline" aria-label="Filter the timeline">
        <div>
          <label for="user">Account</label>
          <select id="user" name="user">
            <option value="" selected={!props.user}>
              Everyone you follow
            </option>
            {props.follows.map((follow) => (
              <option value={`@${follow.username}`} selected={selected === follow}>
                {`@${follow.username}`}
              </option>
            ))}
            {props.user && !selected ? (
              <option value={props.user} selected>
                {props.user}
              </option>
            ) : null}
          </select>
        </div>
        <div class="owner-check">
          <input type="checkbox" id="mentions" name="mentions" value="1" checked={props.mentions} />
          <label for="mentions">Only posts that mention you</label>
        </div>
        <button type="submit">Show</button>
      </form>
      <p class="owner-meta">
        {scope} <a href="/owner/timeline/follows">The feeds you follow and their state</a>
      </p>
      {props.items.length ? (
        <ul class="owner-list owner-timeline">
          {props.items.map((item) => (
            <TimelinePost item={item} owner={props.owner} follows={props.follows} />
          ))}
        </ul>
      ) : (
        <p>{props.error ? "" : "No posts here yet. Followed feeds are read by the scheduled job (npm run tick -- --all reads them now)."}</p>
      )}
      {props.older ? (
        <p class="owner-pager">
          <a href={props.older}>Older posts</a>
        </p>
      ) : null}
    </>
  );
};

const FOLLOW_STATE_TEXT: Record<FollowState, string> = {
  new: "not read yet",
  ok: "up to date",
  "catching-up": "catching up on older posts",
  moved: "moved",
  failing: "failing",
  paused: "paused for the day",
};

const FollowEntry: FC<{ follow: FollowStatus }> = ({ follow }) => (
  <li>
    <h2 class="owner-byline">
      {follow.name ? (
        <>
          {follow.name} <span class="handle">@{follow.username}</span>
        </>
      ) : (
        `@${follow.username}`
      )}{" "}
      <span class="badge">{FOLLOW_STATE_TEXT[follow.state]}</span>
    </h2>
    <p class="owner-meta">
      <SafeLink href={follow.feed_url}>{follow.feed_url}</SafeLink>
    </p>
    <p class="owner-meta">
      {"Last read: "}
      <When iso={follow.last_poll_at} />
      {" · next: "}
      {follow.next_poll_at ? <When iso={follow.next_poll_at} /> : "at the next run"}
      {` · every ${follow.poll_every_minutes} minutes while this quiet · newest post: `}
      <When iso={follow.newest_post_at} />
      {` · ${follow.items} post${follow.items === 1 ? "" : "s"} stored`}
    </p>
    {follow.last_error ? (
      <p class="owner-reason">
        <strong>{follow.failures > 0 || follow.state !== "paused" ? "Last error: " : "Why: "}</strong>
        {follow.last_error}
        {follow.failures > 0 ? ` (${follow.failures} failed read${follow.failures === 1 ? "" : "s"} in a row; each waits longer)` : ""}
      </p>
    ) : null}
    {follow.moved_to ? (
      <p class="owner-reason">
        {`Their feed moved to ${follow.moved_to}: Skein reads it there. Update follows.yaml with npm run follow -- ${follow.moved_to}`}
      </p>
    ) : null}
    <p class="owner-meta">
      <a href={`/owner/timeline?user=${encodeURIComponent(`@${follow.username}`)}`}>{`Posts of @${follow.username}`}</a>
      {" · "}
      <a href={`/owner/outbox/write?to=${encodeURIComponent(`@${follow.username}`)}`}>{`Message @${follow.username}`}</a>
    </p>
  </li>
);

export const FollowsPage: FC<{ follows: TimelineFollows }> = ({ follows }) => (
  <>
    <h1>Feeds you follow</h1>
    <p>
      {"The list is site/_data/follows.yaml (npm run follow / unfollow, then push). The scheduled job last read feeds: "}
      <When iso={follows.last_run_at} />.
    </p>
    {follows.follows.length ? (
      <ul class="owner-list">
        {follows.follows.map((follow) => (
          <FollowEntry follow={follow} />
        ))}
      </ul>
    ) : (
      <p>You follow nobody yet: npm run follow -- &lt;their feed or profile URL&gt;, then build and push.</p>
    )}
    <p>
      <a href="/owner/timeline">Back to the timeline</a>
    </p>
  </>
);
