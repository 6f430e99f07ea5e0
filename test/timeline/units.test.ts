// The poller's pure parts: the slot schedule, the seen markers, cutting a page after its first items.
import { describe, expect, it } from "vitest";
import { readFeed } from "../../lib/shared/remote-feed-reader.ts";
import { itemOffsets, withoutFirstItems } from "../../lib/timeline/page-slice.ts";
import { backoffMinutes, lastSlotMinute, MAX_POLL_MINUTES, nextSlotMinute, phaseOf, pollIntervalMinutes, slotDue } from "../../lib/timeline/schedule.ts";
import { advanceMarker, isSeen } from "../../lib/timeline/seen.ts";

const HOUR = 3_600_000;

describe("schedule", () => {
  it("polls by the age of the newest post: 5 minutes to 4 hours, every interval a divisor of a day", () => {
    const now = Date.UTC(2026, 2, 1);
    const ages = [0, 0.5, 2, 5, 11, 23, 70, 100, 10_000];
    expect(ages.map((hours) => pollIntervalMinutes(now - hours * HOUR, now))).toEqual([5, 5, 10, 15, 30, 60, 120, 240, 240]);
    expect(pollIntervalMinutes(null, now)).toBe(MAX_POLL_MINUTES);
    // A post dated in the future counts as just posted.
    expect(pollIntervalMinutes(now + HOUR, now)).toBe(5);
    for (const minutes of [5, 10, 15, 30, 60, 120, 240]) expect(1440 % minutes).toBe(0);
  });

  it("spreads 300 feeds over the minutes of a 4-hour interval", () => {
    const perMinute = new Map<number, number>();
    for (let i = 0; i < 300; i++) {
      const phase = phaseOf(`00000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`) % 240;
      perMinute.set(phase, (perMinute.get(phase) ?? 0) + 1);
    }
    expect(Math.max(...perMinute.values())).toBeLessThanOrEqual(6);
    expect(perMinute.size).toBeGreaterThan(150);
  });

  it("a slot is due once in (last run, now]: missed minutes are caught up, a repeated minute is not", () => {
    const phase = 7;
    const slot = nextSlotMinute(1000, phase, 30);
    expect((slot + phase) % 30).toBe(0);
    expect(lastSlotMinute(slot + 29, phase, 30)).toBe(slot);
    expect(slotDue(slot - 1, slot, phase, 30)).toBe(true);
    expect(slotDue(slot, slot, phase, 30)).toBe(false);
    expect(slotDue(slot - 5, slot + 3, phase, 30)).toBe(true);
    expect(slotDue(slot, slot + 29, phase, 30)).toBe(false);
    expect(slotDue(null, slot, phase, 30)).toBe(true);
    expect(slotDue(null, slot + 1, phase, 30)).toBe(false);
  });

  it("backs off exponentially, bounded", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 100].map(backoffMinutes)).toEqual([5, 10, 20, 40, 80, 160, 320, 360, 360]);
  });
});

describe("seen markers", () => {
  it("integer guids at or below the highest seen are seen; other guids only when kept", () => {
    const marker = advanceMarker(null, ["12", "11", "https://x.example/a"]);
    expect(marker).toEqual({ max: 12, guids: ["12", "11", "https://x.example/a"] });
    expect(isSeen("5", marker)).toBe(true);
    expect(isSeen("13", marker)).toBe(false);
    expect(isSeen("007", marker)).toBe(false);
    expect(isSeen("https://x.example/a", marker)).toBe(true);
    expect(isSeen("https://x.example/b", marker)).toBe(false);
    expect(isSeen("1", null)).toBe(false);
    expect(advanceMarker(marker, ["20", "19", "18", "17"]).guids).toEqual(["20", "19", "18", "17", "12"]);
  });
});

describe("cutting a page after its first items", () => {
  const feed = `<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><next_node>https://x.example/feed/1.xml</next_node>
<item><guid>3</guid><description><![CDATA[an <item> inside CDATA is text]]></description></item>
<!-- <item>commented out</item> -->
<item xmlns:m="http://openmicroblog.com/"><guid>2</guid></item>
<items>not an item</items>
<item><guid>1</guid></item>
</channel></rss>`;

  it("leaves out exactly the first k items, whatever CDATA and comments hold, and keeps the channel", () => {
    for (const [skip, guids] of [
      [0, ["3", "2", "1"]],
      [1, ["2", "1"]],
      [2, ["1"]],
      [3, []],
      [9, []],
    ] as const) {
      const read = readFeed(withoutFirstItems(feed, skip));
      expect(read.items.map((item) => item.guid)).toEqual(guids);
      expect(read.channel.next_node).toBe("https://x.example/feed/1.xml");
    }
    expect(itemOffsets("<rss><channel></channel></rss>", 1)).toBeUndefined();
  });
});
