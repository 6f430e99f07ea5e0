/** Debian's chromium driven by playwright-core (Playwright cannot download browsers here). */
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

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
