#!/usr/bin/env bash
# Installs the Java kernel the notebooks run on (rapaio-jupyter-kernel, pinned in notebooks/pom.xml)
# into a local prefix, notebooks/.jupyter, with the freshly built library, Spark and XChart on its
# class path, Spark's JVM flags, and libjsig preloaded for OpenCL. Users and CI run the same thing.
# Also a Python kernel ("Python (spark-layernorm)") on python/.venv-4.1, for the PySpark notebooks.
# Then: JUPYTER_PATH=notebooks/.jupyter jupyter notebook notebooks/   (kernel "Java (spark-layernorm)")
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
plain() { sed 's/\x1b\[[0-9;]*m//g'; }
mvnq() { mvn -q -B -Dstyle.color=never "$@"; }

mvnq -DskipTests install
version=$(mvnq -f notebooks/pom.xml help:evaluate -Dexpression=rapaio.kernel.version -DforceStdout | plain)
kernel_dir="$root/notebooks/.jupyter/kernels/spark-layernorm"
mkdir -p "$kernel_dir"
mvnq dependency:copy -Dartifact="io.github.padreati:rapaio-jupyter-kernel:${version}" -DoutputDirectory="$kernel_dir"
classpath=$(mvnq -f notebooks/pom.xml dependency:build-classpath -Dmdep.outputFile=/dev/stdout | plain)
flags=$(mvnq help:evaluate -Dexpression=spark.jvm.flags -DforceStdout -N | plain)
java_bin=$(readlink -f "$(command -v java)")
java_home=$(dirname "$(dirname "$java_bin")")

KERNEL_JAR="$kernel_dir/rapaio-jupyter-kernel-${version}.jar" JAVA_BIN="$java_bin" FLAGS="$flags" \
CLASSPATH_ENTRIES="$classpath" LIBJSIG="$java_home/lib/libjsig.so" POCL_CACHE="$root/target/pocl-cache" \
KERNEL_JSON="$kernel_dir/kernel.json" LOG_CONFIG="$root/notebooks/log4j2-notebooks.properties" /usr/bin/python3 - <<'PY'
import json, os
argv = [os.environ["JAVA_BIN"]] + os.environ["FLAGS"].split() + [
    "-Dcom.aparapi.logLevel=OFF", "-Dlog4j2.configurationFile=" + os.environ["LOG_CONFIG"],
    "-jar", os.environ["KERNEL_JAR"], "{connection_file}"]
kernel = {
    "argv": argv,
    "display_name": "Java (spark-layernorm)",
    "language": "java",
    "interrupt_mode": "message",
    "env": {
        # The kernel separates class path entries with ';'.
        "RJK_CLASSPATH": ";".join(e for e in os.environ["CLASSPATH_ENTRIES"].split(":") if e),
        "RJK_COMPILER_OPTIONS": "",
        "RJK_INIT_SCRIPT": "",
        "RJK_TIMEOUT_MILLIS": "-1",
        # OpenCL drivers replace the JVM's signal handlers unless libjsig chains them.
        "LD_PRELOAD": os.environ["LIBJSIG"],
        "POCL_CACHE_DIR": os.environ["POCL_CACHE"],
        "SPARK_LOCAL_IP": "127.0.0.1",
    },
}
with open(os.environ["KERNEL_JSON"], "w") as f:
    json.dump(kernel, f, indent=2)
PY
echo "Installed kernel 'spark-layernorm' in notebooks/.jupyter (rapaio-jupyter-kernel ${version})"

# The Python notebooks' kernel: ipykernel in the Spark 4.1 test environment, which has pyspark, numpy,
# matplotlib and this package (with the jars just built).
venv=$(python/setup-venv.sh 4.1)
"$venv/bin/pip" install -q --disable-pip-version-check "ipykernel==$(cat notebooks/ipykernel.version)"
python_kernel="$root/notebooks/.jupyter/kernels/spark-layernorm-python"
mkdir -p "$python_kernel"
VENV="$venv" KERNEL_JSON="$python_kernel/kernel.json" /usr/bin/python3 - <<'PY'
import json, os
kernel = {
    # The JVM that PySpark starts writes its logs and warnings to the kernel's stderr: they go to the
    # kernel's own log, not into the cells' outputs.
    "argv": [os.path.join(os.environ["VENV"], "bin", "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}",
             "--IPKernelApp.capture_fd_output=False"],
    "display_name": "Python (spark-layernorm)",
    "language": "python",
    "env": {"PYSPARK_PYTHON": os.path.join(os.environ["VENV"], "bin", "python"), "SPARK_LOCAL_IP": "127.0.0.1"},
}
with open(os.environ["KERNEL_JSON"], "w") as f:
    json.dump(kernel, f, indent=2)
PY
echo "Installed kernel 'spark-layernorm-python' in notebooks/.jupyter ($venv)"
