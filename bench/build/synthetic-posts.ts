/**
 * Synthetic microblog posts for `npm run bench`: deterministic and realistic enough that the build
 * does the work a real site makes it do (markdown with links, lists, emphasis and code; replies,
 * reposts, French posts, non-ASCII text), without anything a real user would not write.
 *
 * Post i depends only on (seed, i), never on how many posts are generated, so the 1,000-post site
 * is the first 1,000 posts of the 10,000-post site and "append one post" means generating post N.
 * Bodies never contain "{{" or "{%": the baseline renders the same files as plain Eleventy markdown
 * templates, which go through Liquid first (Eleventy's default), as a plain Eleventy blog's would.
 */

/** Every post is this much newer than the one before (issue 2: "dates 1 hour apart"). */
export const POST_INTERVAL_MS = 60 * 60 * 1000;
/** Post 0's date: a fixed UTC instant, so two runs write byte-identical sites. */
export const FIRST_POST_MS = Date.UTC(2019, 0, 1, 8, 0, 0);
export const DEFAULT_SEED = 20_260_101;

/** mulberry32: a tiny, well-mixed 32-bit PRNG; good enough for picking words, and reproducible. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

type Random = ReturnType<typeof prng>;

const pick = <T>(random: Random, values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
const between = (random: Random, min: number, max: number): number => min + Math.floor(random() * (max - min + 1));

const SUBJECTS = [
  "The sourdough",
  "My bike",
  "The garden",
  "This morning's walk",
  "The old laptop",
  "Our street",
  "The river",
  "A new notebook",
  "The neighbour's cat",
  "The library",
  "Tonight's soup",
  "The train",
  "A small website",
  "The compost heap",
  "This week's reading",
] as const;
const VERBS = [
  "surprised me",
  "needs more patience than I have",
  "was worth the wait",
  "looked different in the rain",
  "finally works again",
  "taught me something",
  "is louder than it should be",
  "smelled of cinnamon",
  "went better than planned",
  "is still a mystery",
] as const;
const TAILS = [
  "today.",
  "again.",
  "after all.",
  "for once.",
  "as usual.",
  "before breakfast.",
  "by the end of the afternoon.",
  "and I am keeping notes.",
  "which nobody predicted.",
  "so I wrote it down.",
] as const;
const WORDS = [
  "feed",
  "bread",
  "swifts",
  "markdown",
  "static",
  "server",
  "coffee",
  "rain",
  "notebook",
  "garden",
  "tomatoes",
  "bicycle",
  "kettle",
  "window",
  "radio",
  "letters",
  "evening",
  "map",
  "lamp",
  "harbour",
  "pages",
  "moss",
  "owl",
  "stairs",
  "thread",
] as const;
const NON_ASCII = [
  "Café au lait, naïve questions, a crème brûlée.",
  "Straße, Grüße und schöne Bücher.",
  "Señor Núñez dice: ¡buenos días!",
  "Visited Kraków and Tromsø this year.",
  "東京の朝は静かでした。",
  "Привет из Москвы.",
  "Emoji check: 🌧️ ☕ 🚲 ✨",
  "Ελληνικά γράμματα: αβγ.",
  "≈ 3 km — roughly ½ hour on foot.",
] as const;
const FRENCH = [
  "Petit essai en français : le pain de ce matin est sorti du four à sept heures.",
  "Les hirondelles sont de retour au-dessus de la rivière, l'été approche.",
  "Une journée tranquille à la bibliothèque, avec un café trop sucré.",
  "Réparé le vélo après le déjeuner ; la chaîne était rouillée.",
  "Il a plu toute la nuit et le jardin est ravi.",
] as const;
const PEOPLE = ["bob", "carmen", "dana_k", "eli", "farah", "gus", "hana", "ivo", "juniper", "kemal", "lena", "miguel"] as const;
const SITES = ["https://example.org", "https://notes.example.net", "https://blog.example.com", "https://wiki.example.org/wiki"] as const;

function sentence(random: Random): string {
  return `${pick(random, SUBJECTS)} ${pick(random, VERBS)} ${pick(random, TAILS)}`;
}

function phrase(random: Random, count: number): string {
  return Array.from({ length: count }, () => pick(random, WORDS)).join(" ");
}

function link(random: Random): string {
  const text = phrase(random, between(random, 1, 3));
  return `[${text}](${pick(random, SITES)}/${pick(random, WORDS)}-${between(random, 1, 999)})`;
}

function paragraph(random: Random): string {
  const parts: string[] = [];
  const sentences = between(random, 2, 5);
  for (let s = 0; s < sentences; s++) {
    let text = sentence(random);
    const flavour = random();
    if (flavour < 0.15) text = text.replace(/^(\S+ \S+)/, "*$1*");
    else if (flavour < 0.25) text = `${text} See ${link(random)}.`;
    else if (flavour < 0.32) text = `${text} It is **${phrase(random, 2)}**, really.`;
    else if (flavour < 0.38) text = `${text} Use \`${pick(random, WORDS)}.${pick(random, ["md", "xml", "ts", "yaml"])}\` for that.`;
    else if (flavour < 0.42) text = `${text} Details at ${pick(random, SITES)}/${pick(random, WORDS)}`;
    parts.push(text);
  }
  return parts.join(" ");
}

function list(random: Random): string {
  const ordered = random() < 0.3;
  return Array.from(
    { length: between(random, 2, 5) },
    (_, k) => `${ordered ? `${k + 1}.` : "-"} ${phrase(random, between(random, 2, 6))}${random() < 0.2 ? ` (${link(random)})` : ""}`,
  ).join("\n");
}

function codeBlock(random: Random): string {
  const name = pick(random, WORDS);
  return ["```ts", `const ${name} = load("${pick(random, WORDS)}");`, `for (const item of ${name}.items) console.log(item.id, item.title);`, "```"].join("\n");
}

/** Short (most posts), medium, or long with several blocks, like a real microblog's spread. */
function body(random: Random): string {
  const size = random();
  if (size < 0.6) {
    const text = random() < 0.5 ? sentence(random) : paragraph(random);
    return random() < 0.15 ? `${text} ${link(random)}` : text;
  }
  if (size < 0.9) return [paragraph(random), random() < 0.5 ? list(random) : paragraph(random)].join("\n\n");
  const blocks = [paragraph(random)];
  for (let b = between(random, 3, 7); b > 0; b--) {
    const kind = random();
    blocks.push(kind < 0.5 ? paragraph(random) : kind < 0.75 ? list(random) : kind < 0.9 ? codeBlock(random) : `> ${sentence(random)}`);
  }
  if (random() < 0.5) blocks.splice(1, 0, `## ${phrase(random, 3)}`);
  return blocks.join("\n\n");
}

/** Deterministic UUID-shaped id for a made-up account. */
function fakeUuid(random: Random): string {
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join("");
  return `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
}

function account(random: Random): { username: string; user_id: string; user_link: string } {
  const username = pick(random, PEOPLE);
  return { username, user_id: fakeUuid(random), user_link: `https://${username.replace("_", "-")}.example/feed.xml` };
}

export function isoUtc(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.000Z$/, "Z");
}

export interface SyntheticPost {
  /** File name inside posts/, e.g. "2019-01-01-p0000000-bread.md" (unique, sorts by date). */
  name: string;
  text: string;
}

/** Post number `index` (0 = oldest) of the synthetic site. */
export function syntheticPost(index: number, seed = DEFAULT_SEED): SyntheticPost {
  const random = prng(Math.imul(index + 1, 0x9e3779b1) ^ seed);
  const date = FIRST_POST_MS + index * POST_INTERVAL_MS;
  // Every post carries its id (lib/publish/guids.ts): post i is guid i.
  const front = [`date: ${isoUtc(date)}`, `id: ${index}`];
  const kind = random();
  let text: string;
  if (kind < 0.05) {
    // ~5% replies (spec "Replies/Mentions"): reply_to names the other post.
    const who = account(random);
    front.push(
      "reply_to:",
      `  user_id: ${who.user_id}`,
      `  username: ${who.username}`,
      `  user_link: ${who.user_link}`,
      `  status_id: ${between(random, 1, 90_000)}`,
    );
    text = `@${who.username} ${random() < 0.5 ? sentence(random) : paragraph(random)}`;
  } else if (kind < 0.08) {
    // ~3% reposts: the reposted text in front matter, and half of them with a comment of our own.
    const who = account(random);
    front.push(
      "repost:",
      `  user_id: ${who.user_id}`,
      `  username: ${who.username}`,
      `  user_link: ${who.user_link}`,
      `  status_id: ${between(random, 1, 90_000)}`,
      `  pubdate: ${isoUtc(date - between(random, 1, 48) * POST_INTERVAL_MS)}`,
      `  text: ${JSON.stringify(sentence(random))}`,
    );
    text = random() < 0.5 ? `Worth reading: ${link(random)}` : "";
  } else if (kind < 0.13) {
    // ~5% in French: the page and the feed item carry language="fr".
    front.push("language: fr");
    text = `${pick(random, FRENCH)}${random() < 0.5 ? ` ${pick(random, FRENCH)}` : ""}`;
  } else {
    text = body(random);
  }
  // ~10% carry non-ASCII text (accents, CJK, Cyrillic, emoji) somewhere in the body.
  if (text && random() < 0.1) text = `${text}\n\n${pick(random, NON_ASCII)}`;
  const slug = pick(random, WORDS);
  const name = `${isoUtc(date).slice(0, 10)}-p${String(index).padStart(7, "0")}-${slug}.md`;
  return { name, text: `---\n${front.join("\n")}\n---\n${text}${text ? "\n" : ""}` };
}

/** Posts 0..count-1 as file name -> text, ready for createProjectCopy({ posts }). */
export function syntheticPosts(count: number, seed = DEFAULT_SEED): Record<string, string> {
  const posts: Record<string, string> = {};
  for (let i = 0; i < count; i++) {
    const post = syntheticPost(i, seed);
    posts[post.name] = post.text;
  }
  return posts;
}
