/**
 * The one entry style of every command in scripts/: a `main(argv)` that parses its arguments with
 * node:util parseArgs and throws UsageError (exit 2, with the usage) or CliError (exit 1, one line);
 * anything unexpected is also one line -- a command never prints a stack trace.
 */
import { type ParseArgsConfig, parseArgs } from "node:util";

/** Wrong arguments: the message, then the command's usage; exit 2. */
export class UsageError extends Error {}

/** The command could not do what was asked: one line saying why (and what to do); exit 1. */
export class CliError extends Error {}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** node:util parseArgs, strict, with its errors turned into UsageError. */
export function parseCommandLine<O extends Options>(argv: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message.replace(/^TypeError \[[A-Z_]+\]: /, "") : String(error));
  }
}

/** Run a command's main() and turn every failure into one line and an exit code. */
export async function runCommand(name: string, usage: string, main: (argv: string[]) => Promise<void>): Promise<void> {
  try {
    await main(process.argv.slice(2));
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${name}: ${error.message}\n\n${usage}`);
      process.exitCode = 2;
    } else if (error instanceof CliError) {
      console.error(`${name}: ${error.message}`);
      process.exitCode = 1;
    } else {
      console.error(`${name}: unexpected error: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    }
  }
}
