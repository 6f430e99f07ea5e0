#!/usr/bin/env bash
# The browser tests drive Debian's chromium with playwright-core (Playwright cannot download
# browsers here). Install it when missing and we are allowed to; otherwise say so loudly: the
# browser tests then skip with the same message.
set -u
if [ -x /usr/bin/chromium ]; then exit 0; fi
echo "skein: /usr/bin/chromium is missing; installing Debian's chromium for the browser tests..."
if [ "$(id -u)" = "0" ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=""; fi
if [ "$(id -u)" = "0" ] || [ -n "$SUDO" ]; then
  export DEBIAN_FRONTEND=noninteractive
  ($SUDO apt-get install -y --no-install-recommends chromium >/tmp/skein-chromium-install.log 2>&1 \
    || { $SUDO apt-get update >>/tmp/skein-chromium-install.log 2>&1 && $SUDO apt-get install -y --no-install-recommends chromium >>/tmp/skein-chromium-install.log 2>&1; })
fi
if [ -x /usr/bin/chromium ]; then
  echo "skein: chromium installed."
else
  echo "##############################################################################"
  echo "# skein: COULD NOT INSTALL CHROMIUM (see /tmp/skein-chromium-install.log)."
  echo "# The browser tests will be SKIPPED. Install it with: sudo apt-get install chromium"
  echo "##############################################################################"
fi
exit 0
