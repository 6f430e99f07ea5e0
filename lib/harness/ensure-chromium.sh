#!/usr/bin/env bash
# The independent programs the tests check Skein against, from Debian (npm cannot bring them):
# chromium, driven by playwright-core (Playwright cannot download browsers here), and python3-mf2py,
# the microformats2 parser Bridgy Fed uses. Each is installed only when it is missing and we are
# allowed to (root, or password-less sudo); when it is already there, nothing runs apt.
set -u
have_chromium() { [ -x /usr/bin/chromium ]; }
have_mf2py() { [ -x /usr/bin/python3 ] && /usr/bin/python3 -c "import mf2py" >/dev/null 2>&1; }
missing=()
have_chromium || missing+=(chromium)
have_mf2py || missing+=(python3-mf2py)
if [ "${#missing[@]}" -eq 0 ]; then exit 0; fi
echo "skein: installing Debian's ${missing[*]} for the tests..."
if [ "$(id -u)" = "0" ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=""; fi
log=/tmp/skein-test-packages.log
if [ "$(id -u)" = "0" ] || [ -n "$SUDO" ]; then
  export DEBIAN_FRONTEND=noninteractive
  ($SUDO apt-get install -y --no-install-recommends "${missing[@]}" >"$log" 2>&1 \
    || { $SUDO apt-get update >>"$log" 2>&1 && $SUDO apt-get install -y --no-install-recommends "${missing[@]}" >>"$log" 2>&1; })
fi
if have_chromium && have_mf2py; then
  echo "skein: ${missing[*]} installed."
else
  echo "##############################################################################"
  echo "# skein: COULD NOT INSTALL ${missing[*]} (see $log)."
  echo "# Install with: sudo apt-get install chromium python3-mf2py"
  echo "##############################################################################"
fi
exit 0
