"""Row-wise layer normalization for Apache Spark ML, from PySpark (classic and Spark Connect).

    import sparklayernorm                       # before loading a saved pipeline that holds the stages
    from sparklayernorm import LayerNormalizer

    spark = SparkSession.builder.config("spark.jars", sparklayernorm.jar_path()).getOrCreate()
    ln = LayerNormalizer(inputCol="features", outputCol="normalized", epsilon=1e-5)
    ln.transform(df)

The stages are wrappers of the Java stages ``io.github.sparklayernorm.ml.LayerNormalizer`` and
``RmsNormalizer``, which run on the JVM (the classic driver, or the Spark Connect server).
"""
import sys

from sparklayernorm._jars import jar_path
from sparklayernorm import ml
from sparklayernorm.ml import LayerNormalizer, RmsNormalizer
from sparklayernorm.tensors import read_tensor

# PySpark finds the Python class of a saved Java stage from the Java class name (io.github.
# sparklayernorm.ml.LayerNormalizer), and Spark Connect builds the Java name from the Python class's
# module. "io" is a standard Python module, so that name cannot be imported as a package: it is
# registered here, which is why `import sparklayernorm` must come before loading a pipeline.
sys.modules.setdefault(ml.JAVA_PACKAGE, ml)

__all__ = ["LayerNormalizer", "RmsNormalizer", "jar_path", "read_tensor"]
