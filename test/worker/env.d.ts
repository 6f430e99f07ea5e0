// Test-only bindings and values handed from Node to the workerd tests.
import type { D1Migration } from "cloudflare:test";

declare global {
  namespace Cloudflare {
    interface Env {
      /** Read by vitest.config.ts with readD1Migrations(), applied by setup.ts. */
      TEST_MIGRATIONS: D1Migration[];
    }
  }
}

declare module "vitest" {
  export interface ProvidedContext {
    /** Port of the loopback feed server (feed-server.ts) on 127.0.0.1. */
    feedServerPort: number;
    /** Port of the timeline's loopback feed server (feed-server-timeline.ts): feeds that change between polls. */
    timelineFeedServerPort: number;
    /** Port of the outbox's loopback server (feed-server-outbox.ts): the sites Skein writes to, and our own feed. */
    outboxServerPort: number;
    /** Port of the WebSub loopback server (feed-server-websub.ts): hubs, subscribers, feeds that declare a hub. */
    websubServerPort: number;
    /** The write path's loopback forge (forge-server-write.ts): Forgejo's contents API over a real git repository. */
    writeForgePort: number;
    /** Its control server: the repository's log and files, a laptop's push, our feed built from the repository. */
    writeControlPort: number;
    /** Micropub's own forge and control server (test/micropub/): a second repository, the same API. */
    micropubForgePort: number;
    micropubControlPort: number;
    /** Port of the webmention sources (webmention-sources.ts): IndieWeb pages that mention our posts. */
    webmentionServerPort: number;
    /** Port of the pages our posts link to (webmention-targets.ts): discovery cases, hostile targets, endpoints. */
    webmentionTargetsPort: number;
    /** Port of the signing tests' loopback server (feed-server-signing.ts): sites whose feeds publish the keys a test sets. */
    signingServerPort: number;
  }
}
