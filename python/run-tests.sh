#!/usr/bin/env bash
# The Python tests: the package installed from this folder (with the jars the Maven build made) into
# one virtual environment per Spark line, then pytest against real PySpark from PyPI:
#   Spark 4.3 (the newest pyspark) and 4.1, with the Scala 2.13 jar: classic, then Spark Connect
#              (separate processes: a Connect server cannot start where a classic context exists);
#   Spark 3.5: classic (Spark 3.5 has no ML over Connect), with the Scala 2.12 jar.
# Needs both jars: mvn -B verify && mvn -B verify -Pspark-3.5 (or install -DskipTests for each).
set -euo pipefail
cd "$(dirname "$0")"

# A run takes well under a minute. One that passes this limit hung, which has been seen only while a
# local Spark Connect server came up (its JVM gone, the client waiting for it): that run, and only
# that, is tried once more, saying so; a second hang fails, and a failing test is never retried.
# The hangs are counted and the count printed at the end, so that a rising rate shows.
RUN_LIMIT_S=${PYTEST_RUN_LIMIT_S:-300}
HANGS=0

run_pytest() {
    local venv=$1 mode=$2
    echo "== pytest: $(basename "$venv"), $mode"
    local rc=0
    (cd tests && SPARKLAYERNORM_TEST_MODE=$mode timeout "$RUN_LIMIT_S" "$venv/bin/pytest" -p no:cacheprovider -q -ra .) \
        || rc=$?
    if [ "$rc" -eq 124 ]; then
        HANGS=$((HANGS + 1))
        echo "pytest ($(basename "$venv"), $mode) hung for ${RUN_LIMIT_S} s; trying it once more" >&2
        rc=0
        (cd tests && SPARKLAYERNORM_TEST_MODE=$mode timeout "$RUN_LIMIT_S" "$venv/bin/pytest" -p no:cacheprovider -q -ra .) \
            || rc=$?
        if [ "$rc" -eq 124 ]; then
            HANGS=$((HANGS + 1))
            echo "pytest ($(basename "$venv"), $mode) hung again: failing (hangs in this run: $HANGS)" >&2
            exit 1
        fi
    fi
    if [ "$rc" -eq 5 ]; then
        echo "pytest ran no test ($venv, $mode)" >&2
        exit 1
    elif [ "$rc" -ne 0 ]; then
        exit "$rc"
    fi
}

for line in 4.3 4.1 3.5; do
    venv=$(./setup-venv.sh "$line")
    run_pytest "$venv" classic
    if [ "$line" != 3.5 ]; then
        run_pytest "$venv" connect
    fi
done
echo "python/run-tests.sh: every run passed; runs that hung and were retried: $HANGS"
