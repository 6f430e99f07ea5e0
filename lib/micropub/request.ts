/**
 * A Micropub request (W3C Recommendation, 23 May 2017) read into one shape, whichever encoding it
 * came in. The zod schemas are what zValidator checks (routes.ts); `fromForm` / `fromJson` then turn
 * the checked body into a MicropubRequest. Pure.
 *
 * - Form-encoded and multipart (§3.1.1, §3.3): `h` is the type (h-entry when absent, §3.3), `name[]`
 *   and repeated names are lists, `access_token` (§3.2) is the token and never a property, `action`
 *   and `url` name an update/delete/undelete (§3.5), `mp-*` are commands, not properties (§3.2).
 * - JSON (§3.3.2): `{"type": ["h-entry"], "properties": {...}}` with every value a list, or an action
 *   (`{"action": "update", "url": ..., "replace": ...}`, §3.4, §3.5). A JSON body carries no token.
 * - A file in a multipart body is refused here: this site has no media endpoint (docs/micropub.md).
 */
import * as z from "zod/mini";

/** What one property may hold at most: more values than any post needs. */
export const MAX_VALUES = 20;
/** Property names at most: a form of a thousand names is not a post. */
export const MAX_PROPERTIES = 60;

export type MicropubRequest =
  | {
      kind: "create";
      /** The microformats type without "h-": "entry". */
      type: string;
      /** Each property's values as the client sent them (strings from a form; anything JSON from JSON). */
      properties: Record<string, unknown[]>;
      /** The mp-* commands (§3.2), e.g. mp-slug. */
      commands: Record<string, unknown[]>;
      /** The form's access_token (§5.1), when the token came in the body. */
      accessToken?: string | undefined;
    }
  | { kind: "action"; action: string; url: string; accessToken?: string | undefined };

const NOT_A_FILE = "files are not taken: this site has no media endpoint (docs/micropub.md); link a photo by its URL instead";

const formValue = z.union([z.string(), z.array(z.string(), { error: NOT_A_FILE })], { error: NOT_A_FILE });

/** A form-encoded or multipart body, as Hono's form validator hands it over (repeated names as lists). */
export const micropubForm = z
  .record(z.string().check(z.maxLength(100, "a property name must be at most 100 characters")), formValue)
  .check(z.refine((form) => Object.keys(form).length <= MAX_PROPERTIES, `at most ${MAX_PROPERTIES} properties`));

const jsonValues = z.array(z.unknown()).check(z.maxLength(MAX_VALUES, `at most ${MAX_VALUES} values`));

/** A JSON body (§3.3.2): a create (type + properties) or an action (§3.4, §3.5). */
export const micropubJson = z.union(
  [
    z.looseObject({
      type: z.array(z.string()).check(z.minLength(1, 'type: name the object\'s type, e.g. ["h-entry"]')),
      properties: z
        .record(z.string().check(z.maxLength(100, "a property name must be at most 100 characters")), jsonValues, {
          error: 'properties: every value must be a list (§3.3.2), e.g. {"content": ["hello"]}',
        })
        .check(z.refine((properties) => Object.keys(properties).length <= MAX_PROPERTIES, `at most ${MAX_PROPERTIES} properties`)),
    }),
    z.looseObject({ action: z.string().check(z.maxLength(40)), url: z.string().check(z.maxLength(2048)) }),
  ],
  { error: 'send {"type": ["h-entry"], "properties": {...}} to create a post (§3.3.2), or {"action": ..., "url": ...}' },
);

export type MicropubForm = z.output<typeof micropubForm>;
export type MicropubJson = z.output<typeof micropubJson>;

/** `category[]` and `category` are one property (§3.1.1). */
const baseName = (name: string) => (name.endsWith("[]") ? name.slice(0, -2) : name);
const listOf = (value: string | string[]) => (Array.isArray(value) ? value : [value]);

export function fromForm(form: MicropubForm): MicropubRequest {
  const fields: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(form)) (fields[baseName(name)] ??= []).push(...listOf(value));
  const first = (name: string) => fields[name]?.[0];
  const accessToken = first("access_token");
  const action = first("action");
  if (action !== undefined) return { kind: "action", action, url: first("url") ?? "", accessToken };
  const properties: Record<string, unknown[]> = {};
  const commands: Record<string, unknown[]> = {};
  for (const [name, values] of Object.entries(fields)) {
    if (name === "access_token" || name === "h" || name === "url") continue;
    (name.startsWith("mp-") ? commands : properties)[name] = values.slice(0, MAX_VALUES);
  }
  return { kind: "create", type: first("h") ?? "entry", properties, commands, accessToken };
}

export function fromJson(body: MicropubJson): MicropubRequest {
  if ("action" in body && typeof body.action === "string" && !("properties" in body)) {
    return { kind: "action", action: body.action, url: typeof body.url === "string" ? body.url : "" };
  }
  const { type, properties } = body as { type: string[]; properties: Record<string, unknown[]> };
  const props: Record<string, unknown[]> = {};
  const commands: Record<string, unknown[]> = {};
  for (const [name, values] of Object.entries(properties)) (name.startsWith("mp-") ? commands : props)[name] = values;
  return { kind: "create", type: (type[0] ?? "h-entry").replace(/^h-/, ""), properties: props, commands };
}

/** GET /micropub?q=... (§3.7): what is asked, and for q=source the post and which properties (properties[]). */
export const micropubQuery = z.object({
  q: z.optional(z.string().check(z.maxLength(40))),
  url: z.optional(z.string().check(z.maxLength(2048))),
  properties: z.optional(z.union([z.string().check(z.maxLength(100)), z.array(z.string().check(z.maxLength(100))).check(z.maxLength(MAX_PROPERTIES))])),
  "properties[]": z.optional(z.union([z.string().check(z.maxLength(100)), z.array(z.string().check(z.maxLength(100))).check(z.maxLength(MAX_PROPERTIES))])),
});
