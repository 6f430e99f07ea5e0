/**
 * Error answers of the Worker as RFC 9457 problem details (`application/problem+json`): a short
 * title and one line that tells the client what to fix. Never a stack trace, never internals.
 * 201 and 403 of the spec's endpoints carry no body at all (spec "Receiving Private Messages": "no
 * message body"). The CLIs read `detail` to say what went wrong in one line.
 */

export const PROBLEM_TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
};

/** A status and the one line a client needs: what `Result` errors carry until they become a response. */
export interface Problem {
  status: number;
  detail: string;
}

export interface ProblemBody {
  type: "about:blank";
  title: string;
  status: number;
  detail: string;
}

export function problemBody(status: number, detail: string): ProblemBody {
  return { type: "about:blank", title: PROBLEM_TITLES[status] ?? "Error", status, detail };
}

export function problem(status: number, detail: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(problemBody(status, detail)), {
    status,
    headers: { "Content-Type": "application/problem+json", ...headers },
  });
}
