"""Writes tests/fixtures/java-pipeline: a PipelineModel built and saved by the Java API (through the
JVM of a classic session), which the tests load from Python in both modes.

Run from python/: SPARKLAYERNORM_TEST_MODE=classic python tests/make_fixtures.py (the outputs are committed).
"""
import os
import shutil

from pyspark.sql import SparkSession

import sparklayernorm

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET = os.path.join(HERE, "fixtures", "java-pipeline")

spark = (SparkSession.builder.master("local[1]").config("spark.jars", sparklayernorm.jar_path())
         .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
         .config("spark.ui.enabled", "false").getOrCreate())
jvm = spark.sparkContext._jvm
gateway = spark.sparkContext._gateway


def doubles(values):
    array = gateway.new_array(jvm.double, len(values))
    for i, v in enumerate(values):
        array[i] = v
    return array


names = gateway.new_array(jvm.java.lang.String, 3)
for i, n in enumerate(["f1", "f2", "f3"]):
    names[i] = n
assembler = jvm.org.apache.spark.ml.feature.VectorAssembler("vecAssembler_fixture").setInputCols(names) \
    .setOutputCol("raw")
ln = jvm.io.github.sparklayernorm.ml.LayerNormalizer("layerNorm_fixture").setInputCol("raw") \
    .setOutputCol("features").setEpsilon(1e-3).setScale(doubles([1.0, 2.0, 3.0])).setShift(doubles([0.0, 0.5, 1.0]))
stages = gateway.new_array(jvm.org.apache.spark.ml.Transformer, 2)
stages[0] = assembler
stages[1] = ln
model = jvm.org.apache.spark.ml.PipelineModel("pipeline_fixture", stages)
shutil.rmtree(TARGET, ignore_errors=True)
model.write().save(TARGET)
# Spark's CRC side files and _SUCCESS markers are not needed to load it.
for folder, _, files in os.walk(TARGET):
    for f in files:
        if f.startswith(".") or f == "_SUCCESS":
            os.remove(os.path.join(folder, f))
spark.stop()
print("wrote", TARGET)
