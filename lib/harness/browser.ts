/** Debian's chromium driven by playwright-core (Playwright cannot download browsers here). */
import { existsSync } from "node:fs";
import { type Browser, chromium, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
export const chromiumAvailable = existsSync(CHROMIUM);

if (!chromiumAvailable) {
  console.warn(
    "\n#############################################################################\n" +
      `# BROWSER TESTS SKIPPED: ${CHROMIUM} is missing. npm test tries to install it   #\n` +
      "# (scripts/ensure-chromium.sh); install it yourself with: apt-get install chromium\n" +
      "#############################################################################\n",
  );
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  });
}

/**
 * What a page did that it must not: every dialog (an XSS payload that ran would most likely open
 * one; dismissed) and every uncaught script error, collected for the test to expect empty.
 */
export function watchPage(page: Page): { problems: string[] } {
  const problems: string[] = [];
  page.on("dialog", (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on("pageerror", (error) => problems.push(error.message));
  return { problems };
}
