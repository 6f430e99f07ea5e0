#!/usr/bin/env bash
# npm test: everything, including the browser and end-to-end tests. Installs what they need
# (Debian's chromium) when it can; prints "N passed, N failed" last and keeps vitest's exit code.
set -u
cd "$(dirname "$0")/.."
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false WRANGLER_HIDE_BANNER=true
bash lib/harness/ensure-chromium.sh
mkdir -p test-results
rm -f test-results/vitest.json
npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json "$@"
code=$?
node lib/harness/test-summary.mjs test-results/vitest.json
exit $code
