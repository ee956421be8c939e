"""The stages on Structured Streaming, in the mode this process runs (classic or Spark Connect).

As Spark's own MLTest.testTransformer does for MLlib's transformers: the same rows as a batch
DataFrame and as a stream (a Parquet file source, one file per micro-batch, run with
trigger(availableNow=True) into a memory sink) give the same output rows, bit for bit.
"""
import itertools

import numpy as np
import pytest
from pyspark.errors import StreamingQueryException
from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.feature import VectorAssembler
from pyspark.ml.linalg import Vectors, VectorUDT
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, DoubleType, FloatType, IntegerType, StructField, StructType

from sparklayernorm import LayerNormalizer, RmsNormalizer

D = 6
FILES = 3
ROWS_PER_FILE = 12
SCHEMA = StructType([StructField("id", IntegerType()), StructField("a", ArrayType(DoubleType())),
                     StructField("f", ArrayType(FloatType())), StructField("u", DoubleType()),
                     StructField("v", DoubleType())])
QUERIES = itertools.count()


def rows(file, invalid):
    rng = np.random.default_rng(100 + file)
    out = []
    for i in range(ROWS_PER_FILE):
        row_id = file * ROWS_PER_FILE + i
        offset = rng.normal(0, 1e5)
        a = (offset + rng.random(D)).tolist()
        f = (offset / 1e3 + rng.random(D)).astype(np.float32).tolist()
        if invalid and row_id % 5 == 0:
            kind = (row_id // 5) % 3
            if kind == 0:
                a = None
            elif kind == 1:
                a[2] = float("nan")
            else:
                f = f[:-1]
        out.append((row_id, a, f, float(rng.normal()), float(rng.normal(50, 3))))
    return out


@pytest.fixture
def files(spark, tmp_path):
    """A folder of Parquet files, one per micro-batch; makes it with or without invalid rows."""
    def make(invalid=False):
        folder = str(tmp_path / ("input-%d" % next(QUERIES)))
        for file in range(FILES):
            spark.createDataFrame(rows(file, invalid), SCHEMA).coalesce(1).write.mode("append").parquet(folder)
        return folder
    return make


try:
    from pyspark.ml.functions import array_to_vector
except ImportError:  # PySpark 3.5's pyspark.ml.functions needs pandas, which its test environment leaves out
    array_to_vector = None


def with_vector(df):
    """A vector column "x" from the array column "a" (null where "a" is)."""
    if array_to_vector is None:
        to_vector = F.udf(lambda a: None if a is None else Vectors.dense(a), VectorUDT())
        return df.withColumn("x", to_vector("a"))
    # MLlib's array_to_vector fails on a null array.
    return df.withColumn("x", F.when(F.col("a").isNotNull(), array_to_vector("a")))


def batch(spark, folder):
    return with_vector(spark.read.schema(SCHEMA).parquet(folder))


def stream(spark, folder):
    return with_vector(spark.readStream.schema(SCHEMA).option("maxFilesPerTrigger", 1).parquet(folder))


def run_stream(spark, tmp_path, frame):
    name = "normalized_%d" % next(QUERIES)
    query = (frame.writeStream.format("memory").queryName(name).outputMode("append")
             .option("checkpointLocation", str(tmp_path / name)).trigger(availableNow=True).start())
    try:
        query.awaitTermination()
    finally:
        query.stop()
    return spark.table(name)


def bits(value):
    if value is None:
        return None
    if hasattr(value, "toArray"):
        return ("vector", np.asarray(value.toArray(), dtype=np.float64).view(np.int64).tolist())
    if isinstance(value, list):
        return ("array", [None if v is None else np.float64(v).view(np.int64).item() for v in value])
    if isinstance(value, float):
        return np.float64(value).view(np.int64).item()
    return value


def by_id(frame):
    return {r["id"]: {k: bits(v) for k, v in r.asDict().items()} for r in frame.collect()}


def assert_same_bits(expected, actual):
    assert expected.keys() == actual.keys()
    for row_id in expected:
        assert expected[row_id] == actual[row_id], "row %d" % row_id


STAGES = {
    "vector": lambda: LayerNormalizer(inputCol="x", outputCol="y", backend="java"),
    "float arrays, scale and shift": lambda: LayerNormalizer(inputCol="f", outputCol="g",
                                                             scale=np.linspace(0.5, 2, D), shift=np.arange(D)),
    "rms, groups and the inverse rms": lambda: RmsNormalizer(inputCol="f", outputCol="g", groupSize=3,
                                                             invStdDevCol="inv"),
    "statistics columns": lambda: LayerNormalizer(inputCol="a", outputCol="b", meanCol="mean",
                                                  invStdDevCol="inv"),
    "skip, two columns": lambda: LayerNormalizer(inputCols=["a", "f"], outputCols=["b", "g"],
                                                 handleInvalid="skip"),
    "keep, two columns": lambda: LayerNormalizer(inputCols=["x", "f"], outputCols=["y", "g"],
                                                 handleInvalid="keep", backend="java"),
}


@pytest.mark.parametrize("name", sorted(STAGES))
def test_a_stream_gives_the_batch_output_bit_for_bit(spark, tmp_path, files, name):
    folder = files(invalid=name.startswith(("skip", "keep")))
    expected = by_id(STAGES[name]().transform(batch(spark, folder)))
    actual = by_id(run_stream(spark, tmp_path, STAGES[name]().transform(stream(spark, folder))))
    assert len(expected) > 0
    assert_same_bits(expected, actual)


def test_an_invalid_row_stops_the_query_with_the_stages_message(spark, tmp_path, files):
    folder = files(invalid=True)
    ln = LayerNormalizer(inputCol="a", outputCol="b")
    with pytest.raises(StreamingQueryException) as failure:
        run_stream(spark, tmp_path, ln.transform(stream(spark, folder)))
    message = str(failure.value)
    assert "LayerNormalizer " + ln.uid in message, message
    assert "input column 'a' in row" in message, message
    assert "set handleInvalid to 'skip'" in message, message


def test_a_saved_pipeline_scores_a_stream(spark, tmp_path, files):
    folder = files()
    pipeline = Pipeline(stages=[VectorAssembler(inputCols=["u", "v", "id"], outputCol="features"),
                                LayerNormalizer(inputCol="features", outputCol="normalized", scale=[1.0, 2.0, 3.0])])
    path = str(tmp_path / "pipeline")
    pipeline.fit(batch(spark, folder)).write().overwrite().save(path)
    model = PipelineModel.load(path)
    expected = by_id(model.transform(batch(spark, folder)))
    actual = by_id(run_stream(spark, tmp_path, PipelineModel.load(path).transform(stream(spark, folder))))
    assert len(actual) == FILES * ROWS_PER_FILE
    assert_same_bits(expected, actual)


def test_a_stream_of_the_batched_path_stays_a_stream(spark, files):
    """The statistics columns take the batched path: a node of the plan, which a stream can run."""
    folder = files()
    out = LayerNormalizer(inputCol="a", outputCol="b", meanCol="mean").transform(stream(spark, folder))
    assert out.isStreaming
    assert out.columns == ["id", "a", "f", "u", "v", "x", "b", "mean"]
    assert out.select(F.col("b")).isStreaming
