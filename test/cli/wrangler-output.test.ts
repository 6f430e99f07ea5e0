/** npm start's first screen: wrangler's warnings that are not true under npm start are left out, the rest passes. */
import { describe, expect, it } from "vitest";
import { wranglerLineFilter } from "../../lib/cli/wrangler-output.ts";

describe("wranglerLineFilter", () => {
  it("drops the scheduled-workers and types warnings with their indented lines, the internal port's 'Ready on' and npm start's own readiness check, keeps everything else (a user's request included)", () => {
    const lines = [
      "\u001b[33m▲ \u001b[43;33m[\u001b[43;30mWARNING\u001b[43;33m]\u001b[0m \u001b[1mScheduled Workers are not automatically triggered during local development.\u001b[0m",
      "",
      "  To manually trigger a scheduled event, run:",
      '    curl "http://127.0.0.1:8788/cdn-cgi/handler/scheduled"',
      "",
      "⎔ Starting local server...",
      "▲ [WARNING] Your types might be out of date. Re-run `wrangler types` to ensure your types are correct.",
      "[wrangler:info] Ready on http://127.0.0.1:8788",
      "[wrangler:info] GET /api/npm-start-ready-check 404 Not Found (717ms)",
      "[wrangler:info] GET /api/inbox 401 Unauthorized (12ms)",
      "▲ [WARNING] Something else wrangler wants you to know",
      "  with its detail",
    ];
    const keep = wranglerLineFilter();
    expect(lines.filter(keep)).toEqual([
      "⎔ Starting local server...",
      "[wrangler:info] GET /api/inbox 401 Unauthorized (12ms)",
      "▲ [WARNING] Something else wrangler wants you to know",
      "  with its detail",
    ]);
  });
});
