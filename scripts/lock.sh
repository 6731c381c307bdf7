#!/usr/bin/env bash
# Re-lock the dependencies, with hashes, from their sources:
#   pyproject.toml [project] dependencies -> requirements/runtime.lock  (the image, make install)
#   requirements/build.in                 -> requirements/build.lock    (the image's build stage)
#   requirements/dev.in                   -> requirements/dev.lock      (make install: tests, lint)
# dev.lock is resolved under the other two (`-c` in dev.in), so a shared package has one version.
# Versions already in a lock are kept while they still satisfy the sources; pass
# `--upgrade` (every package) or `--upgrade-package NAME` to move them. Review the diff, then
# `make install`. The resolver is uv (0.13.x, so the output stays stable), in a throwaway venv.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3.11}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$python" -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install -q --disable-pip-version-check "uv==0.13.*"
compile() {  # source lock [uv options]
  local source=$1 lock=$2
  shift 2
  "$tmp/venv/bin/uv" pip compile --quiet --python-version 3.11 --generate-hashes \
    --custom-compile-command scripts/lock.sh --output-file "$lock" "$@" "$source"
  echo "$lock: $(grep -c '^[A-Za-z0-9].*==' "$lock") pinned packages"
}
compile pyproject.toml requirements/runtime.lock "$@"
compile requirements/build.in requirements/build.lock "$@"
compile requirements/dev.in requirements/dev.lock "$@"
