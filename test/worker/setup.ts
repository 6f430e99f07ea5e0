// Runs in workerd before each test file: the real migrations on the real local D1.
// applyD1Migrations() skips migrations already applied, so running it per file is safe.
import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
