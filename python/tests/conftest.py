"""One Spark session per pytest process, classic or Spark Connect (SPARKLAYERNORM_TEST_MODE).

Spark Connect's local server refuses to start in a process that already has a classic context,
so the two modes run as separate pytest processes (python/run-tests.sh).
"""
import os
import sys
import warnings

import pytest

import sparklayernorm

MODE = os.environ.get("SPARKLAYERNORM_TEST_MODE", "classic")
# Python workers (a Python UDF in a test) run on this environment's interpreter, which has PySpark's
# dependencies, not on whatever "python3" is first on the PATH.
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WEIGHTS = os.path.join(ROOT, "spark-core", "src", "test", "resources", "weights")


def pytest_report_header(config):
    import pyspark

    return "spark-layernorm: mode %s, pyspark %s, jar %s" % (MODE, pyspark.__version__, sparklayernorm.jar_path())


@pytest.fixture(scope="session")
def spark():
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.config("spark.jars", sparklayernorm.jar_path())
    if MODE == "connect":
        with warnings.catch_warnings():
            # The local Connect server takes spark.jars at start; the client then also tries to set
            # it as a session config, which Spark refuses with a warning.
            warnings.simplefilter("ignore")
            session = (builder.remote("local[2]").config("spark.connect.grpc.binding.address", "127.0.0.1")
                       .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                       .getOrCreate())
    else:
        session = (builder.master("local[2]").config("spark.ui.enabled", "false")
                   .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                   .config("spark.sql.shuffle.partitions", "4").getOrCreate())
        session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture
def classic_only():
    if MODE != "classic":
        pytest.skip("needs the JVM in this process (classic mode); the Connect run covers the rest")


@pytest.fixture
def connect_only():
    if MODE != "connect":
        pytest.skip("Spark Connect only")
