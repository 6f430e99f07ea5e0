/**
 * The CLIs' client of the owner API: every answer that is not what a Skein Worker says -- no server,
 * a refused token, an error, or an address that answers something else entirely (an HTML page, a
 * proxy's error) -- becomes one clear CliError line.
 */

import type { Target } from "./local-server.ts";
import { CliError } from "./run.ts";

/**
 * The options every command that talks to the owner API takes, spread into its parseCommandLine
 * options: where the server is and the owner token (--url and --token, else the environment, else the
 * running npm start and its .dev.vars: local-server.ts), machine-readable output, and help.
 */
export const OWNER_COMMAND_OPTIONS = {
  url: { type: "string" },
  token: { type: "string" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

export interface ApiAnswer<T> {
  status: number;
  body: T | undefined;
}

function isJson(contentType: string | null): boolean {
  return /^application\/(problem\+)?json\b/i.test(contentType ?? "");
}

export class OwnerApi {
  constructor(readonly target: Target) {}

  /** A request; `expect` lists the statuses that are answers rather than errors (default: any 2xx). */
  async call<T>(method: string, path: string, body?: unknown, expect?: readonly number[]): Promise<ApiAnswer<T>> {
    const { url, token } = this.target;
    if (!token) {
      throw new CliError(
        this.target.local
          ? "no owner token: run `npm run init` or `npm start` once to create OWNER_TOKEN in .dev.vars, or pass --token"
          : "no owner token for this site: pass --token or set SKEIN_OWNER_TOKEN",
      );
    }
    const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: "application/json" };
    const init: RequestInit = { method, headers };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response: Response;
    try {
      response = await fetch(`${url}${path}`, init);
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : error instanceof Error ? error.message : String(error);
      throw new CliError(`could not reach ${url} (${cause}). Is the site running? Locally: npm start`);
    }
    const type = response.headers.get("Content-Type");
    const text = await response.text();
    let parsed: unknown;
    if (text) {
      if (!isJson(type)) {
        throw new CliError(
          `${url} answered ${method} ${path} with something that is not Skein's API (HTTP ${response.status}, ${type ?? "no Content-Type"}): is ${url} the address of a Skein Worker?`,
        );
      }
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new CliError(`${url} answered ${method} ${path} with broken JSON (HTTP ${response.status}): is ${url} the address of a Skein Worker?`);
      }
    }
    const ok = expect ? expect.includes(response.status) : response.ok;
    if (ok) return { status: response.status, body: parsed as T };
    const detail = parsed && typeof parsed === "object" && "detail" in parsed ? String((parsed as { detail: unknown }).detail) : "";
    if (response.status === 401) throw new CliError(`the owner token was refused: ${detail || "401 Unauthorized"}`);
    if (response.status === 404 && !detail) throw new CliError(`${url} has no ${path}: is it a Skein Worker of this version?`);
    throw new CliError(`${method} ${path} answered ${response.status}${detail ? `: ${detail}` : ""}`);
  }
}
