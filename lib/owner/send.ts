/**
 * Sending a private message from the owner's pages (a conversation's answer form, the outbox's
 * write form): the forms, and the same sendMessage with the same budget as POST /api/outbox/messages.
 */
import type { Context } from "hono";
import * as z from "zod/mini";
import { SEND_BUDGET } from "../outbox/policy.ts";
import { messageText, recipientText } from "../outbox/schemas.ts";
import { type Recipient, sendMessage } from "../outbox/send-message.ts";
import type { OutboxSendAnswer } from "../shared/api-types.ts";
import { Budget } from "../shared/budget.ts";
import type { Problem } from "../shared/problem.ts";
import { ok, type Result } from "../shared/result.ts";
import { allowLoopback, type WorkerBindings } from "../worker-kit/env.ts";
import { formText } from "./forms.ts";
import type { OwnerKit } from "./kit.ts";

export const answerForm = z.object({ message: formText(messageText) });
export const writeForm = z.object({ recipient: recipientText, message: formText(messageText) });

/** Send a private message exactly as POST /api/outbox/messages does (same function, same budget). */
export async function sendOutcome(kit: OwnerKit, c: Context<WorkerBindings>, recipient: Recipient, text: string): Promise<Result<OutboxSendAnswer, Problem>> {
  const sent = await sendMessage(kit.config, recipient, text, {
    db: c.var.db,
    fetch: kit.deps.fetch,
    allowLoopback: allowLoopback(c.env),
    budget: new Budget(SEND_BUDGET, kit.deps.now),
    now: kit.deps.now,
  });
  return sent.ok ? ok(sent.value.answer) : sent;
}
