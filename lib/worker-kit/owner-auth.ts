/**
 * The owner's lock on the owner API: `Authorization: Bearer <OWNER_TOKEN>`. The token is a wrangler
 * secret in production and a line in .dev.vars locally. Compared in constant time (SHA-256 of both,
 * then an XOR over the fixed-length digests), so neither the content nor the length of the token
 * leaks through response timing. Tokens are never logged or echoed.
 */
import type { MiddlewareHandler } from "hono";
import { problem } from "../shared/problem.ts";
import { err, ok, type Result } from "../shared/result.ts";
import type { WorkerBindings } from "./env.ts";

const encoder = new TextEncoder();

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

/** True when a and b are equal, in time that depends on neither. */
export async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  const [da, db] = await Promise.all([digest(a), digest(b)]);
  let difference = 0;
  for (let i = 0; i < da.length; i++) difference |= da[i]! ^ db[i]!;
  return difference === 0;
}

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), or undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const m = /^\s*Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  return m ? m[1] : undefined;
}

export async function checkOwner(configuredToken: string | undefined, authorization: string | undefined): Promise<Result<true>> {
  if (!configuredToken?.trim()) {
    return err(
      "the owner token is not set: add OWNER_TOKEN to .dev.vars locally (npm run init writes one) or run `npx wrangler secret put OWNER_TOKEN` for the deployed Worker",
    );
  }
  const presented = bearerToken(authorization);
  if (presented === undefined) return err("send the owner token as Authorization: Bearer <token>");
  if (!(await constantTimeEqual(presented, configuredToken.trim()))) return err("the owner token does not match");
  return ok(true);
}

/** Every owner API route sits behind this (CORS preflights pass: they carry no token by design). */
export const requireOwner: MiddlewareHandler<WorkerBindings> = async (c, next) => {
  if (c.req.method === "OPTIONS") return next();
  const auth = await checkOwner(c.env.OWNER_TOKEN, c.req.header("Authorization"));
  if (!auth.ok) return problem(401, auth.error, { "WWW-Authenticate": 'Bearer realm="skein"' });
  await next();
};
