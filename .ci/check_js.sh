#!/bin/sh
# Checks the JavaScript the project ships (the step page's script, inlined into each page, and
# the playground's page and worker):
#   .ci/check_js.sh          node --check (syntax) on every .js file under viz/ and playground/
#                            (not its build output), then ESLint
#   .ci/check_js.sh --syntax node --check only (no network needed)
# ESLint comes from npm through npx, pinned, with the rules in .ci/eslint.config.mjs.
# Needs Node.js 20.19 or later (and npm's registry for ESLint). Run from anywhere.
set -eu
ESLINT_VERSION=10.15.0
cd "$(dirname "$0")/.."
files=$(find viz playground -name '*.js' -not -path '*/node_modules/*' -not -path 'playground/site/*' | sort)
if [ -z "$files" ]; then
    echo "check_js: no .js files under viz/" >&2
    exit 1
fi
for f in $files; do
    node --check "$f"
    echo "node --check $f: ok"
done
if [ "${1:-}" = "--syntax" ]; then
    exit 0
fi
# shellcheck disable=SC2086  # one argument per file
npx --yes "eslint@$ESLINT_VERSION" --config .ci/eslint.config.mjs --max-warnings 0 $files
echo "eslint $ESLINT_VERSION: ok"
