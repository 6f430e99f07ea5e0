/**
 * Plain RSS 2.0 and Atom feeds as blogs and other services write them, for the importer's tests:
 * titles, excerpts in <description> and full posts in content:encoded, RFC 5005 prev-archive links
 * (absolute and relative), Atom text constructs of every type, xml:lang, and some hostile markup.
 * Fixed dates; every value is a literal the tests compare with.
 */

/** Two RSS pages: the head (three items, one without a date) and an archive, linked by rel="prev-archive". */
export function plainRssPages(base: string, archiveHref = `${base}/blog/archive-1.xml`): Record<string, string> {
  const head = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel>
  <title>Ada's blog</title>
  <link>https://ada.example/blog</link>
  <description>Notes &amp; more</description>
  <language>en-GB</language>
  <atom:link rel="self" type="application/rss+xml" href="${base}/blog/feed.xml"/>
  <atom:link rel="prev-archive" type="application/rss+xml" href="${archiveHref}"/>
  <item>
    <title>Long read</title>
    <link>https://ada.example/blog/long</link>
    <guid isPermaLink="true">https://ada.example/blog/long</guid>
    <pubDate>Tue, 02 Jun 2020 10:00:00 GMT</pubDate>
    <description>An excerpt only.</description>
    <content:encoded><![CDATA[<p>The <em>full</em> text, with a <a href="https://ada.example/x">link</a>.</p><script>alert("x")</script><p><a href="javascript:alert(1)">bad link</a> <img src="https://img.example/a.png" alt="A picture" onerror="alert(2)"></p><table><tr><td>1</td><td>2</td></tr></table>]]></content:encoded>
  </item>
  <item>
    <title>Short note without a link</title>
    <description>Short note without a link</description>
    <pubDate>Mon, 01 Jun 2020 08:30:00 +0200</pubDate>
    <guid isPermaLink="false">note-2</guid>
  </item>
  <item>
    <title>Undated</title>
    <description>This one has no date.</description>
  </item>
</channel>
</rss>
`;
  const archive = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
  <title>Ada's blog</title>
  <link>https://ada.example/blog</link>
  <description>Notes &amp; more</description>
  <item>
    <title>The beginning</title>
    <guid isPermaLink="false">7</guid>
    <pubDate>Fri, 01 May 2020 12:00:00 GMT</pubDate>
    <description>&lt;p&gt;It all &lt;strong&gt;started&lt;/strong&gt; here.&lt;/p&gt;</description>
  </item>
</channel>
</rss>
`;
  return { "/blog/feed.xml": head, "/blog/archive-1.xml": archive };
}

/** Two Atom pages linked by rel="prev-archive": html, xhtml and text content, an entry with only a title. */
export function atomPages(base: string): Record<string, string> {
  const head = `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:thr="http://purl.org/syndication/thread/1.0" xml:lang="en">
  <title>Ada on Atom</title>
  <subtitle>Atom &amp; bio</subtitle>
  <author><name>Ada Atom</name></author>
  <id>tag:ada.example,2020:feed</id>
  <updated>2020-01-05T00:00:00Z</updated>
  <link rel="self" href="${base}/atom/feed.xml"/>
  <link rel="prev-archive" href="${base}/atom/archive-1.xml"/>
  <entry>
    <id>tag:ada.example,2020:1</id>
    <title>Hello</title>
    <published>2020-01-02T03:04:05Z</published>
    <updated>2020-01-04T00:00:00Z</updated>
    <link rel="alternate" href="https://ada.example/1"/>
    <content type="html">&lt;p&gt;Hello, &lt;b&gt;Atom&lt;/b&gt; world.&lt;/p&gt;</content>
    <thr:in-reply-to ref="tag:carol.example,2020:5" href="${base}/atom/carol.html" type="text/html"/>
  </entry>
  <entry xml:lang="de">
    <id>tag:ada.example,2020:2</id>
    <title type="text">Zwei</title>
    <updated>2020-01-03T00:00:00+01:00</updated>
    <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Zwei <em>Teile</em> &amp; mehr</p></div></content>
  </entry>
  <entry>
    <id>tag:ada.example,2020:3</id>
    <title>Only a title here</title>
    <published>2020-01-04T00:00:00Z</published>
  </entry>
  <entry>
    <id>tag:ada.example,2020:4</id>
    <title>Math</title>
    <published>2020-01-05T00:00:00Z</published>
    <summary type="text">Math: 1 &lt; 2 &amp; 3 > 2</summary>
    <thr:in-reply-to ref="https://dave.example/notes/9"/>
  </entry>
</feed>
`;
  const archive = `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Ada on Atom</title>
  <id>tag:ada.example,2020:feed</id>
  <updated>2019-12-31T00:00:00Z</updated>
  <entry>
    <id>tag:ada.example,2019:0</id>
    <title>Older</title>
    <published>2019-12-31T23:00:00Z</published>
    <content type="html">&lt;p&gt;The oldest entry.&lt;/p&gt;</content>
  </entry>
</feed>
`;
  // A web page the first entry replies to (RFC 4685 href): the import reads it to tell a page from a feed.
  const replied = "<!doctype html><html><head><title>Carol</title></head><body><p>Carol's post.</p></body></html>";
  return { "/atom/feed.xml": head, "/atom/archive-1.xml": archive, "/atom/carol.html": replied };
}

/** UTF-16 bytes with a byte order mark, the declaration saying so. */
export function utf16(text: string, bigEndian: boolean): Uint8Array {
  const declared = text.replace(/encoding="[^"]*"/, 'encoding="UTF-16"');
  const bytes = new Uint8Array(2 + declared.length * 2);
  bytes[0] = bigEndian ? 0xfe : 0xff;
  bytes[1] = bigEndian ? 0xff : 0xfe;
  for (let i = 0; i < declared.length; i++) {
    const code = declared.charCodeAt(i);
    bytes[2 + i * 2] = bigEndian ? code >> 8 : code & 0xff;
    bytes[3 + i * 2] = bigEndian ? code & 0xff : code >> 8;
  }
  return bytes;
}

/** Latin-1 bytes (every character must be below U+0100), the declaration saying ISO-8859-1. */
export function latin1(text: string): Uint8Array {
  const declared = text.replace(/encoding="[^"]*"/, 'encoding="ISO-8859-1"');
  return Uint8Array.from(declared, (char) => {
    const code = char.charCodeAt(0);
    if (code > 0xff) throw new Error(`not Latin-1: ${char}`);
    return code;
  });
}
