import { handle } from "hono/cloudflare-pages";
import { app } from "./_app.ts";

export const onRequest = handle(app);
