// Why a fetch failed, as the owner reads it (lib/shared/remote-fetch.ts networkReason): workerd's
// messages and Node's "fetch failed" whose reason is only in its cause -- and a real refused
// connection through Node's fetch, the way the commands (import, validate, relocate) meet it.
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { networkReason } from "../../lib/shared/remote-fetch.ts";

const nodeError = (code: string, message: string) => new TypeError("fetch failed", { cause: Object.assign(new Error(message), { code }) });

describe("networkReason", () => {
  it("reads Node's cause: refused, no such host, reset", () => {
    expect(networkReason(nodeError("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:1"))).toBe("network error: connection refused");
    expect(networkReason(nodeError("ENOTFOUND", "getaddrinfo ENOTFOUND new-service.example"))).toBe("network error: no such host");
    expect(networkReason(nodeError("ECONNRESET", "read ECONNRESET"))).toBe("network error: the connection was reset");
  });

  it("says what workerd's two messages can mean, and keeps anything else as it is", () => {
    // workerd says "Network connection lost." for a refused connection and for one closed before the answer.
    expect(networkReason(new Error("Network connection lost."))).toBe("network error: the connection was refused or closed before an answer came");
    expect(networkReason(new Error("internal error; reference = 5fnmpg2vvjump269od4g2jkb"))).toBe(
      "network error: no such host, or the connection could not be made",
    );
    expect(networkReason(new Error("TLS handshake failed"))).toBe("TLS handshake failed");
    expect(networkReason(new TypeError("fetch failed", { cause: new Error("bad port") }))).toBe("fetch failed: bad port");
    expect(networkReason("odd")).toBe("odd");
  });

  it("a real refused connection through Node's fetch", async () => {
    // A port that was just free: nobody listens there now.
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, "127.0.0.1", () => {
        const address = server.address();
        server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
      });
    });
    const error = await fetch(`http://127.0.0.1:${port}/`).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(networkReason(error)).toBe("network error: connection refused");
  });
});
