/**
 * The owner's sessions for the /owner/ pages: signing in with the owner token (pasted once per
 * device) gives a random session id in a cookie; only its SHA-256 is stored in D1. The cookie is
 * `__Host-` prefixed (Secure, Path=/, no Domain: only this origin), HttpOnly, SameSite=Strict, and
 * expires with the session. A session is never extended (using the pages writes nothing to D1).
 */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { Db } from "../shared/d1.ts";
import { formatIsoUtc } from "../shared/dates.ts";

/** The cookie is `__Host-skein_session` (hono adds the prefix and enforces what it requires). */
export const SESSION_COOKIE = "skein_session";
/** Two weeks: long enough for a phone, short enough that a lost device's session ends by itself. */
export const SESSION_LIFETIME_MS = 14 * 24 * 60 * 60_000;

function hex(bytes: ArrayBuffer | Uint8Array): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function hashOf(id: string): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(id)));
}

/** A new session: 32 random bytes, stored as a hash; the id goes to the browser once, in the cookie. */
export async function createSession(db: Db, nowMs: number): Promise<{ id: string; expiresAtMs: number }> {
  const id = hex(crypto.getRandomValues(new Uint8Array(32)));
  const expiresAtMs = nowMs + SESSION_LIFETIME_MS;
  await db
    .prepare("INSERT INTO owner_sessions (id_hash, created_at, expires_at) VALUES (?1, ?2, ?3)")
    .bind(await hashOf(id), formatIsoUtc(nowMs), formatIsoUtc(expiresAtMs))
    .run();
  return { id, expiresAtMs };
}

/** Is this a live session id? Shapes other than 64 hex digits are refused without a D1 read. */
export async function validSession(db: Db, id: string | undefined, nowMs: number): Promise<boolean> {
  if (!id || !/^[0-9a-f]{64}$/.test(id)) return false;
  const row = await db
    .prepare("SELECT expires_at FROM owner_sessions WHERE id_hash = ?1")
    .bind(await hashOf(id))
    .first<{ expires_at: string }>();
  return row !== null && Date.parse(row.expires_at) > nowMs;
}

export async function endSession(db: Db, id: string | undefined): Promise<void> {
  if (!id || !/^[0-9a-f]{64}$/.test(id)) return;
  await db
    .prepare("DELETE FROM owner_sessions WHERE id_hash = ?1")
    .bind(await hashOf(id))
    .run();
}

/** Housekeeping: sessions past their end. */
export async function deleteExpiredSessions(db: Db, nowMs: number): Promise<number> {
  const { meta } = await db.prepare("DELETE FROM owner_sessions WHERE expires_at <= ?1").bind(formatIsoUtc(nowMs)).run();
  return meta.changes;
}

export function sessionIdOf(c: Context): string | undefined {
  return getCookie(c, SESSION_COOKIE, "host");
}

export function setSessionCookie(c: Context, id: string, expiresAtMs: number): void {
  setCookie(c, SESSION_COOKIE, id, {
    prefix: "host",
    path: "/",
    secure: true,
    httpOnly: true,
    sameSite: "Strict",
    expires: new Date(expiresAtMs),
  });
}

export function clearSessionCookie(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { prefix: "host", path: "/", secure: true });
}
