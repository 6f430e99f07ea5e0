#!/usr/bin/env bash
# Deploy to Cloudflare (needs CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID in the environment).
#   bash scripts/deploy.sh worker     the site (Static Assets) + the Worker, one deploy   (npm run deploy)
#   bash scripts/deploy.sh api-only   the Worker without the site; host _site/ anywhere   (npm run deploy:api-only)
#   ... --dry-run                     build and check, then bundle without uploading (no account needed)
# One-time set-up is in README "Deploy". The GitHub Actions workflows run the same steps.
# Steps, each stopping the deploy when it fails: build (every post parsed and validated), check the
# built feeds with Skein's validator, apply the D1 migrations, upload. Nothing reaches Cloudflare
# from a build or a check that failed.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:-worker}"
dry_run=""
[ "${2:-}" = "--dry-run" ] && dry_run=1
case "$target" in
  worker) config=wrangler.toml ;;
  api-only) config=wrangler.api-only.toml ;;
  *) echo "usage: bash scripts/deploy.sh worker|api-only [--dry-run]" >&2; exit 2 ;;
esac
export WRANGLER_SEND_METRICS=false WRANGLER_HIDE_BANNER=true
if [ -z "$dry_run" ]; then
  : "${CLOUDFLARE_API_TOKEN:?set CLOUDFLARE_API_TOKEN (a Cloudflare API token with Workers Scripts and D1 edit rights)}"
  : "${CLOUDFLARE_ACCOUNT_ID:?set CLOUDFLARE_ACCOUNT_ID}"
  if grep -q '00000000-0000-4000-8000-000000000000' "$config"; then
    echo "$config still has the placeholder database_id: run 'npx wrangler d1 create skein' and put its id there." >&2
    exit 1
  fi
fi
if grep -q '^FETCH_ALLOW_LOOPBACK = "true"' "$config"; then
  echo "$config lets the Worker fetch loopback addresses (FETCH_ALLOW_LOOPBACK); that is for local runs only." >&2
  exit 1
fi

# --sync: into the existing _site/ in place when there is one (deploy.yml restores it with the build's
# cache), writing only the files that changed; without one, the usual full output (docs/incremental-build.md).
npm run --silent build -- --sync
npm run --silent validate -- _site
if [ -n "$dry_run" ]; then
  npx wrangler deploy -c "$config" --dry-run --outdir "${SKEIN_DRY_RUN_OUTDIR:-.wrangler/dry-run}"
  exit 0
fi
npx wrangler d1 migrations apply DB --remote -c "$config"
npx wrangler deploy -c "$config"
if [ "$target" = api-only ]; then
  echo "Now upload _site/ to your static host (profile.yaml functions_url must be this Worker's URL)."
fi
