#!/usr/bin/env bash
# Makes (or updates) python/.venv-LINE for a tested Spark line (4.1 or 3.5): the pinned test
# dependencies of requirements-test-LINE.txt, then this package, reinstalled so that the jars inside
# are those of the latest Maven build. Prints the environment's folder.
set -euo pipefail
cd "$(dirname "$0")"
line=$1
venv="$PWD/.venv-$line"
if [ ! -x "$venv/bin/python" ]; then
    "${PYTHON:-python3}" -m venv "$venv" >&2
fi
"$venv/bin/pip" install -q --disable-pip-version-check -r "requirements-test-$line.txt" >&2
"$venv/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps . >&2
echo "$venv"
