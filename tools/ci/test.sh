#!/usr/bin/env bash
# `npm test`: make sure the services the tests need are here, then check formatting, lint, typecheck and test
# every project through Nx, and print one summary line for the whole workspace.
set -uo pipefail
cd "$(dirname "$0")/../.."

export NX_DAEMON=false NX_NO_CLOUD=true NX_SKIP_NX_CACHE="${NX_SKIP_NX_CACHE:-false}"
export FORCE_COLOR=0

bash tools/ci/ensure-services.sh || exit 1

rm -rf .test-results
status=0
echo "== format, lint and typecheck"
# Prettier over the whole workspace (what `npm run format` writes), so formatting stays checked.
npx prettier --check . || status=1
npx nx run-many -t lint typecheck --output-style=stream --parallel=2 || status=1
echo "== tests"
# Integration tests start real clusters; one project at a time keeps the 2-core machine sane.
npx nx run-many -t test --output-style=stream --parallel=1 || status=1
echo "== summary"
node tools/ci/summary.mjs || status=1
exit $status
