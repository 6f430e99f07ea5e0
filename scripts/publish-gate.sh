#!/usr/bin/env bash
# The publishing path's one question (.github/workflows/deploy.yml): may HEAD be deployed now, without
# waiting for the test suite? Yes when its code -- every file outside the content paths below -- is
# exactly the code of a commit whose Test workflow passed (.github/workflows/test.yml, which ignores
# these same paths). A push of posts or site data then deploys at once, checked by the build itself
# (every post parsed and validated, the feeds run through lib/validate); a push that changes code
# deploys when its tests have passed (deploy.yml also runs after each Test run on main).
#
#   bash scripts/publish-gate.sh [TESTED_COMMIT...]
#
# Prints `deploy=true` or `deploy=false` on stdout (for $GITHUB_OUTPUT) and the reason on stderr.
# Exit 0 either way; 2 when this is not a git checkout.
set -euo pipefail
cd "$(dirname "$0")/.."

# Content: what a person publishes. Keep in step with paths-ignore in .github/workflows/test.yml
# (test/scripts/publish-gate.test.ts checks both lists are the same).
CONTENT_PATHS=(posts/ site/_data/ site/assets/)

head=$(git rev-parse --verify -q HEAD) || { echo "publish-gate: not a git checkout with a commit" >&2; exit 2; }

is_content() {
  local file=$1 prefix
  for prefix in "${CONTENT_PATHS[@]}"; do
    [[ $file == "$prefix"* ]] && return 0
  done
  return 1
}

reason="no tested commit given"
for tested in "$@"; do
  if ! git cat-file -e "$tested^{commit}" 2>/dev/null; then
    reason="tested commit $tested is not in this checkout"
    continue
  fi
  code_changed=""
  while IFS= read -r -d '' file; do
    if ! is_content "$file"; then code_changed=$file; break; fi
  done < <(git diff --name-only -z --no-renames "$tested" "$head")
  [ -n "$code_changed" ] && reason="$code_changed is not the tested code"
  if [ -z "$code_changed" ]; then
    echo "publish-gate: the code of $head is the code tested at $tested; deploying" >&2
    echo "deploy=true"
    exit 0
  fi
done
echo "publish-gate: not deploying yet ($reason); the deploy runs after the Test workflow passes on this code" >&2
echo "deploy=false"
