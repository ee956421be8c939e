#!/usr/bin/env bash
# Executes every notebook headlessly on its kernel (notebooks/setup-kernel.sh installs them: Java and
# Python) and renders each to HTML, into target/notebooks. Fails on any cell error.
#
#   notebooks/run-notebooks.sh           execute and render (what CI runs)
#   notebooks/run-notebooks.sh --store   also write the executed notebooks, with their outputs, back
#                                        into notebooks/ (so that readers see them without running)
#   ... [--store] NAME...                only these notebooks (e.g. 04-batch-job 05-pyspark)
#
# The Java kernel sometimes fails at start-up, before any cell ran: it binds its sockets but never
# answers ("Kernel didn't respond"), or its JVM exits first ("Kernel died before replying to
# kernel_info"). Only these are retried, a bounded number of times, each failed attempt's log kept
# beside the notebook's; a failing cell never is.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export JUPYTER_PATH="$root/notebooks/.jupyter"
out="$root/target/notebooks"
mkdir -p "$out"
attempts=8
store=false
if [ "${1:-}" = "--store" ]; then
    store=true
    shift
fi
notebooks=()
for name in "$@"; do
    [ -f "notebooks/$name.ipynb" ] || { echo "no notebook notebooks/$name.ipynb" >&2; exit 2; }
    notebooks+=("notebooks/$name.ipynb")
done
if [ ${#notebooks[@]} -eq 0 ]; then
    notebooks=(notebooks/*.ipynb)
fi

# Always: the kernel must see the library as it is now, freshly built.
notebooks/setup-kernel.sh

for notebook in "${notebooks[@]}"; do
    name=$(basename "$notebook" .ipynb)
    log="$out/$name.log"
    for ((attempt = 1; ; attempt++)); do
        echo "== $name (attempt $attempt)"
        # Each notebook runs on the kernel its metadata names.
        if /usr/bin/python3 -m nbconvert --to notebook --execute \
                --ExecutePreprocessor.startup_timeout=30 \
                --ExecutePreprocessor.timeout=900 \
                --output-dir "$out" "$notebook" > "$log" 2>&1; then
            break
        fi
        if grep -q -E "Kernel didn't respond|Kernel died before replying to kernel_info" "$log" \
                && [ "$attempt" -lt "$attempts" ]; then
            cp "$log" "$out/$name.attempt-$attempt.log"
            echo "   the kernel did not start (log: $out/$name.attempt-$attempt.log); starting it again"
            continue
        fi
        grep -v -E "^(Parsing classpath|Add .* to classpath)" "$log" | tail -60
        echo "FAILED: $notebook (log: $log)"
        exit 1
    done
    # Outputs must read as results: no log lines (WARN/ERROR from Spark, Aparapi or the JVM).
    if ! /usr/bin/python3 - "$out/$name.ipynb" <<'PY'
import json, re, sys
log_line = re.compile(r"(^|\s)(WARN|ERROR|WARNING:|SEVERE:)\s")
noisy = []
for cell in json.load(open(sys.argv[1]))["cells"]:
    for output in cell.get("outputs", []):
        text = output.get("text") or output.get("data", {}).get("text/plain", "")
        for line in ("".join(text) if isinstance(text, list) else text).splitlines():
            if log_line.search(line):
                noisy.append(line)
for line in noisy[:5]:
    print("   log line in an output:", line)
sys.exit(1 if noisy else 0)
PY
    then
        echo "FAILED: $notebook has WARN/ERROR log lines in its outputs"
        exit 1
    fi
    /usr/bin/python3 -m nbconvert --to html --output-dir "$out" "$out/$name.ipynb" >> "$log" 2>&1
    echo "   ok: $out/$name.html"
    if $store; then
        cp "$out/$name.ipynb" "$notebook"
        echo "   stored with its outputs: $notebook"
    fi
done
