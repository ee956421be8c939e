"""The library jars bundled in this package, one per Spark line."""
import glob
import os

_HERE = os.path.dirname(os.path.abspath(__file__))

#: PySpark lines the package supports, and the Scala version of their jars; the 2.13 jar is built
#: against Spark 4.2.
SCALA_FOR_SPARK = {"3.5": "2.12", "4.0": "2.13", "4.1": "2.13", "4.2": "2.13", "4.3": "2.13"}

#: The lines the tests run on (python/run-tests.sh, one requirements-test-LINE.txt each), and how:
#: Spark 3.5 has no ML over Spark Connect.
TESTED = {"3.5": ("classic",), "4.1": ("classic", "Spark Connect"), "4.3": ("classic", "Spark Connect")}


def _spark_line(version):
    return ".".join(version.split(".")[:2])


def jar_path(spark_version=None):
    """The absolute path of the bundled jar for the installed pyspark's Spark line.

    Give it to Spark: ``SparkSession.builder.config("spark.jars", jar_path())``, or for a Spark
    Connect server ``--jars`` with the same path (the server must load it at start).

    :param spark_version: the Spark version to match (default: the installed pyspark's)
    """
    if spark_version is None:
        import pyspark

        spark_version = pyspark.__version__
    line = _spark_line(spark_version)
    scala = SCALA_FOR_SPARK.get(line)
    if scala is None:
        raise RuntimeError(
            "spark-layernorm supports Spark %s; this is Spark %s"
            % (", ".join(sorted(SCALA_FOR_SPARK)), spark_version))
    jars = sorted(glob.glob(os.path.join(_HERE, "jars", "spark-layernorm-core_%s-*-bundle.jar" % scala)))
    if not jars:
        raise RuntimeError(
            "this spark-layernorm package was built without the Scala %s jar that Spark %s needs;"
            " build it with mvn -B -DskipTests install%s, then reinstall the package"
            % (scala, spark_version, " -Pspark-3.5" if scala == "2.12" else ""))
    return jars[-1]
