/**
 * Editing site/_data/follows.yaml the way a person would: `npm run follow` appends an entry at the END
 * (the list feed is paginated from the top, so older pages never change) or, for an account already
 * followed whose feed moved, changes that entry's user_link in place; `npm run unfollow` removes one
 * entry. Every other byte of the file -- comments, order, quoting, blank lines -- stays as it was: the
 * edits are text splices at positions the YAML parser reports, never a re-serialization.
 *
 * Before anything is written the new text is checked the way the build checks it (listEntry from
 * lib/publish/site-schemas.ts, one entry per user_id and per feed URL), so a follow or unfollow can
 * never leave a file the build refuses. Nothing is written when the edit is refused.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { isMap, isScalar, isSeq, parseDocument, stringify } from "yaml";
import { listEntry } from "../publish/site-schemas.ts";
import { describeIssues } from "../shared/schemas.ts";
import { normalizeUserLink } from "../shared/urls.ts";
import { SOURCE_PATHS } from "../site-build/site-source.ts";
import { CliError } from "./run.ts";

export interface ListedAccount {
  /** 0-based position in the list. */
  index: number;
  user_id: string;
  username: string;
  user_link: string;
  /** Text offsets of the entry (its first field to its end) and of its user_link value. */
  start: number;
  end: number;
  linkRange: [number, number] | undefined;
}

export interface NewFollow {
  user_id: string;
  username: string;
  user_link: string;
  /** ISO 8601 with a zone. */
  since: string;
}

const HEADER = `# Accounts you follow. Add new ones at the END: the list feed is paginated from the top,
# so older pages stay unchanged. \`since\` (optional) is when you followed them.
`;

function readText(file: string): string {
  return existsSync(file) ? readFileSync(file, "utf8") : "";
}

/** The entries of a follows/blocks file with where they are in its text. */
export function listedAccounts(text: string, file: string): ListedAccount[] {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length) throw new CliError(`${file} is not valid YAML (${doc.errors[0]!.message.split("\n")[0]}); fix it first`);
  const contents = doc.contents;
  if (contents === null) return [];
  if (!isSeq(contents)) throw new CliError(`${file} must be a YAML list of entries (each starting with "- user_id: ...")`);
  return contents.items.map((node, index) => {
    const field = (name: string) => (isMap(node) ? node.get(name, true) : undefined);
    const text = (name: string) => {
      const value = field(name);
      return isScalar(value) && value.value !== null && value.value !== undefined ? String(value.value) : "";
    };
    const range = isMap(node) || isScalar(node) ? node.range : undefined;
    const link = field("user_link");
    return {
      index,
      user_id: text("user_id"),
      username: text("username"),
      user_link: text("user_link"),
      start: range ? range[0] : 0,
      end: range ? range[2] : 0,
      linkRange: isScalar(link) && link.range ? [link.range[0], link.range[1]] : undefined,
    };
  });
}

/** Offset of the beginning of the line holding `offset`. */
function beginningOfLine(text: string, offset: number): number {
  return text.lastIndexOf("\n", offset - 1) + 1;
}

/** A scalar as YAML would write it in a block mapping (quoted only when it has to be). */
function scalarText(value: string): string {
  return stringify(value, { lineWidth: 0 }).trimEnd();
}

/** Check the whole list as the build does; a refusal names the entry and what is wrong. */
function checkList(text: string, file: string): void {
  const doc = parseDocument(text);
  const values = (doc.toJS() ?? []) as unknown[];
  const seen = new Map<string, number>();
  values.forEach((raw, index) => {
    const checked = listEntry.safeParse(raw);
    if (!checked.success) throw new CliError(`${file} entry ${index + 1} would not build: ${describeIssues(checked.error.issues).join("; ")}`);
    for (const key of [`id:${checked.data.user_id}`, `link:${normalizeUserLink(checked.data.user_link)}`]) {
      const earlier = seen.get(key);
      if (earlier !== undefined) throw new CliError(`${file} entries ${earlier + 1} and ${index + 1} would be the same account`);
      seen.set(key, index);
    }
  });
}

function writeAtomically(file: string, text: string): void {
  const temporary = `${file}.tmp-${process.pid}`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}

export function followsFile(root: string): string {
  return path.join(root, SOURCE_PATHS.follows);
}

/** Accounts in a list file (follows or blocks) matching a user_id or a feed URL. */
export function findAccount(accounts: readonly ListedAccount[], who: { user_id?: string; user_link?: string }): ListedAccount | undefined {
  const link = who.user_link ? normalizeUserLink(who.user_link) : undefined;
  return accounts.find((account) => (who.user_id && account.user_id === who.user_id) || (link && normalizeUserLink(account.user_link) === link));
}

export type FollowEdit = { action: "added"; index: number } | { action: "updated"; index: number; previousLink: string };

/** The entry following `follow.user_id` at another feed URL than `follow.user_link`, if any. */
export function followedElsewhere(root: string, follow: Pick<NewFollow, "user_id" | "user_link">): ListedAccount | undefined {
  const link = normalizeUserLink(follow.user_link);
  return listedAccounts(readText(followsFile(root)), SOURCE_PATHS.follows).find(
    (account) => account.user_id === follow.user_id && normalizeUserLink(account.user_link) !== link,
  );
}

/**
 * Add `follow` at the end of follows.yaml; or, when the same user_id is there with another feed URL
 * and that URL is `movedFrom` (the caller confirmed the old feed says it moved: spec "Relocation"),
 * change that entry's user_link. Refused: the same user_id at another URL that did not move (one
 * account, one feed), the same feed URL under another user_id, an account already followed at this
 * URL, an account in blocks.yaml.
 */
export function addFollow(root: string, follow: NewFollow, movedFrom?: string): FollowEdit {
  const file = followsFile(root);
  const relative = SOURCE_PATHS.follows;
  const text = readText(file);
  const accounts = listedAccounts(text, relative);

  const blocksText = readText(path.join(root, SOURCE_PATHS.blocks));
  const blocked = findAccount(listedAccounts(blocksText, SOURCE_PATHS.blocks), follow);
  if (blocked) {
    throw new CliError(`@${follow.username} is in ${SOURCE_PATHS.blocks} (entry ${blocked.index + 1}); follow or block, not both: remove it there first`);
  }

  const sameId = accounts.find((account) => account.user_id === follow.user_id);
  const link = normalizeUserLink(follow.user_link);
  const sameLink = accounts.find((account) => normalizeUserLink(account.user_link) === link);
  if (sameLink && sameLink.user_id !== follow.user_id) {
    throw new CliError(
      `${relative} entry ${sameLink.index + 1} (@${sameLink.username}) already follows ${follow.user_link} as user_id ${sameLink.user_id}, but the feed now says ${follow.user_id}; if the account changed, unfollow the old entry first (npm run unfollow -- ${sameLink.user_link})`,
    );
  }
  if (sameId) {
    if (normalizeUserLink(sameId.user_link) === link) {
      throw new CliError(`you already follow @${sameId.username} at ${sameId.user_link} (${relative} entry ${sameId.index + 1}); nothing changed`);
    }
    if (!movedFrom || normalizeUserLink(movedFrom) !== normalizeUserLink(sameId.user_link)) {
      throw new CliError(
        `you already follow @${sameId.username} (user_id ${sameId.user_id}) at ${sameId.user_link} (${relative} entry ${sameId.index + 1}), and that feed does not say it moved to ${follow.user_link}; nothing changed`,
      );
    }
    if (!sameId.linkRange) throw new CliError(`${relative} entry ${sameId.index + 1} (@${sameId.username}) has no user_link to update`);
    const [from, to] = sameId.linkRange;
    const updated = text.slice(0, from) + scalarText(follow.user_link) + text.slice(to);
    checkList(updated, relative);
    writeAtomically(file, updated);
    return { action: "updated", index: sameId.index, previousLink: sameId.user_link };
  }

  const entry = stringify([{ user_id: follow.user_id, username: follow.username, user_link: follow.user_link, since: follow.since }], { lineWidth: 0 });
  let base = text;
  const doc = parseDocument(text);
  if (isSeq(doc.contents) && doc.contents.flow) {
    if (doc.contents.items.length)
      throw new CliError(`${relative} is written as a [flow, list]; write one "- user_id: ..." entry per line to let npm run follow add to it`);
    const range = doc.contents.range!;
    base = text.slice(0, range[0]) + text.slice(range[1]);
  }
  if (!base.trim()) base = HEADER + base.replace(/^\s+/, "");
  const updated = `${base}${base.endsWith("\n") || base === "" ? "" : "\n"}${entry}`;
  checkList(updated, relative);
  writeAtomically(file, updated);
  return { action: "added", index: accounts.length };
}

/** Remove the entry `who` names: @username, username, user_id or feed URL. */
export function removeFollow(root: string, who: string): ListedAccount {
  const file = followsFile(root);
  const relative = SOURCE_PATHS.follows;
  const text = readText(file);
  const accounts = listedAccounts(text, relative);
  const wanted = who.trim();
  const link = /^https?:\/\//i.test(wanted) ? normalizeUserLink(wanted) : undefined;
  const name = wanted.replace(/^@/, "").toLowerCase();
  const matches = link
    ? accounts.filter((account) => normalizeUserLink(account.user_link) === link)
    : accounts.filter((account) => account.user_id === wanted || account.username.toLowerCase() === name);
  if (!matches.length) {
    throw new CliError(`no entry in ${relative} is ${JSON.stringify(wanted)} (give the feed URL, @username or user_id; npm run timeline -- status lists them)`);
  }
  if (matches.length > 1) {
    throw new CliError(
      `${JSON.stringify(wanted)} matches ${matches.length} entries of ${relative} (${matches.map((m) => m.user_link).join(", ")}); give the feed URL`,
    );
  }
  const account = matches[0]!;
  const from = beginningOfLine(text, account.start);
  const updated = text.slice(0, from) + text.slice(account.end);
  checkList(updated, relative);
  writeAtomically(file, updated);
  return account;
}
