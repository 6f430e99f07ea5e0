#!/usr/bin/env bash
# Deploy to Cloudflare (needs CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID in the environment).
#   bash scripts/deploy.sh pages    static site + inbox functions on Cloudflare Pages   (npm run deploy)
#   bash scripts/deploy.sh worker   inbox only, as a Worker; host _site/ anywhere         (npm run deploy:worker)
# One-time set-up is in README "Deploy". The GitHub Actions workflows run the same steps on push.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:-pages}"
case "$target" in
  pages) config=wrangler.toml ;;
  worker) config=worker/wrangler.toml ;;
  *) echo "usage: bash scripts/deploy.sh pages|worker" >&2; exit 2 ;;
esac
export WRANGLER_SEND_METRICS=false WRANGLER_HIDE_BANNER=true
: "${CLOUDFLARE_API_TOKEN:?set CLOUDFLARE_API_TOKEN (a Cloudflare API token with Pages and D1 edit rights)}"
: "${CLOUDFLARE_ACCOUNT_ID:?set CLOUDFLARE_ACCOUNT_ID}"
if grep -q '00000000-0000-4000-8000-000000000000' "$config"; then
  echo "$config still has the placeholder database_id: run 'npx wrangler d1 create skein-inbox' and put its id there." >&2
  exit 1
fi

npm run build
npx wrangler d1 migrations apply DB --remote -c "$config"
if [ "$target" = pages ]; then
  npx wrangler pages deploy _site --project-name "${SKEIN_PAGES_PROJECT:-skein}" --branch "${SKEIN_BRANCH:-main}" --commit-dirty=true
else
  npx wrangler deploy -c worker/wrangler.toml
  echo "Now upload _site/ to your static host (profile.yaml functions_url must be this Worker's URL)."
fi
