#!/usr/bin/env bash
# Executes every notebook headlessly on the project's kernel (notebooks/setup-kernel.sh installs it)
# and renders each to HTML, into target/notebooks. Fails on any cell error.
#
# The Java kernel sometimes does not answer at start-up (a race in the kernel: "Kernel didn't
# respond"). Only that is retried, a bounded number of times; a failing cell never is.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export JUPYTER_PATH="$root/notebooks/.jupyter"
out="$root/target/notebooks"
mkdir -p "$out"
attempts=8

# Always: the kernel must see the library as it is now, freshly built.
notebooks/setup-kernel.sh

for notebook in notebooks/*.ipynb; do
    name=$(basename "$notebook" .ipynb)
    log="$out/$name.log"
    for ((attempt = 1; ; attempt++)); do
        echo "== $name (attempt $attempt)"
        if /usr/bin/python3 -m nbconvert --to notebook --execute \
                --ExecutePreprocessor.kernel_name=spark-layernorm \
                --ExecutePreprocessor.startup_timeout=30 \
                --ExecutePreprocessor.timeout=900 \
                --output-dir "$out" "$notebook" > "$log" 2>&1; then
            break
        fi
        if grep -q "Kernel didn't respond" "$log" && [ "$attempt" -lt "$attempts" ]; then
            echo "   the kernel did not start; starting it again"
            continue
        fi
        grep -v -E "^(Parsing classpath|Add .* to classpath)" "$log" | tail -60
        echo "FAILED: $notebook (log: $log)"
        exit 1
    done
    /usr/bin/python3 -m nbconvert --to html --output-dir "$out" "$out/$name.ipynb" >> "$log" 2>&1
    echo "   ok: $out/$name.html"
done
