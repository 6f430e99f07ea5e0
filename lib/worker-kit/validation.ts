/**
 * The one answer to input that fails its schema, whatever the input (JSON body, query string, path):
 * a 400 problem listing "field: reason" for each issue. Pass it as zValidator's hook on every route.
 */
import type * as z from "zod/mini";
import { problem } from "../shared/problem.ts";
import { describeIssues } from "../shared/schemas.ts";

export function invalid(result: { success: boolean; error?: { issues: readonly z.core.$ZodIssue[] } }): Response | undefined {
  if (result.success || !result.error) return undefined;
  return problem(400, describeIssues(result.error.issues).join("; ").slice(0, 1000));
}

/** For path parameters: a path that does not name a resource is not found, not a bad request. */
export function missing(result: { success: boolean }, c: { req: { method: string; url: string } }): Response | undefined {
  if (result.success) return undefined;
  return problem(404, `nothing at ${c.req.method} ${new URL(c.req.url).pathname.slice(0, 200)}`);
}
