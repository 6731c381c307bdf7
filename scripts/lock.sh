#!/usr/bin/env bash
# Re-resolve requirements.lock: a throwaway venv installs the project's direct runtime
# dependencies (pyproject.toml) and the test/dev ones (requirements.in) at their newest
# allowed versions; its `pip freeze` becomes the lock. Review the diff, then `make install`.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3.11}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$python" -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install -q --disable-pip-version-check -r requirements.in
"$tmp/venv/bin/pip" install -q --disable-pip-version-check .
{
  sed -n '/^#/p;/^$/q' requirements.lock 2>/dev/null || true
  "$tmp/venv/bin/pip" freeze --all --exclude-editable \
    | grep -viE '^(marketplace|pip|wheel)( |==|@)' \
    | LC_ALL=C sort -f
} > "$tmp/lock"
mv "$tmp/lock" requirements.lock
echo "requirements.lock: $(grep -c '==' requirements.lock) pinned packages"
