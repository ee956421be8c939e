"""The stages from PySpark, in the mode this process runs (classic or Spark Connect)."""
import os
import subprocess
import sys

import numpy as np
import pytest
from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.feature import VectorAssembler
from pyspark.ml.linalg import Vectors
from pyspark.sql.types import ArrayType, DoubleType, FloatType, IntegerType, StructField, StructType

import sparklayernorm
from sparklayernorm import LayerNormalizer, RmsNormalizer

from conftest import MODE
from reference import assert_row_close, grouped, layer_norm, rms_norm

RNG = np.random.default_rng(7)
ROWS = [RNG.normal(loc, spread, 6) for loc, spread in [(0, 1), (1e6, 3), (-20, 1e-3), (5, 100), (0, 1e-8)]]
SCALE = RNG.normal(1, 0.5, 6)
SHIFT = RNG.normal(0, 2, 6)


def frame(spark, column_type, rows):
    schema = StructType([StructField("id", IntegerType()), StructField("x", column_type)])
    return spark.createDataFrame([(i, r) for i, r in enumerate(rows)], schema)


def by_id(df, column="y"):
    return {r["id"]: r[column] for r in df.collect()}


def values(cell):
    return np.asarray(cell.toArray() if hasattr(cell, "toArray") else cell, dtype=np.float64)


def test_vector_rows_match_the_reference(spark):
    df = spark.createDataFrame([(i, Vectors.dense(r.tolist())) for i, r in enumerate(ROWS)], ["id", "x"])
    ln = LayerNormalizer(inputCol="x", outputCol="y", scale=SCALE, shift=SHIFT.tolist())
    out = by_id(ln.transform(df))
    for i, row in enumerate(ROWS):
        assert_row_close(values(out[i]), layer_norm(row, 1e-5, SCALE, SHIFT), "row %d" % i)


def test_sparse_vectors_count_their_zeros(spark):
    df = spark.createDataFrame([(0, Vectors.sparse(5, [1, 3], [2.0, -4.0]))], ["id", "x"])
    out = by_id(LayerNormalizer(inputCol="x", outputCol="y").transform(df))
    assert_row_close(values(out[0]), layer_norm([0, 2, 0, -4, 0]))


def test_double_arrays_stay_double_arrays(spark):
    df = frame(spark, ArrayType(DoubleType()), [r.tolist() for r in ROWS])
    result = LayerNormalizer(inputCol="x", outputCol="y", epsilon=1e-3).transform(df)
    assert result.schema["y"].dataType == ArrayType(DoubleType(), False), result.schema["y"].dataType
    out = by_id(result)
    for i, row in enumerate(ROWS):
        assert_row_close(out[i], layer_norm(row, 1e-3), "row %d" % i)


def test_float_arrays_are_within_one_float_rounding(spark):
    rows = [r.astype(np.float32) for r in ROWS[:1] + ROWS[2:]]
    df = frame(spark, ArrayType(FloatType()), [r.tolist() for r in rows])
    result = LayerNormalizer(inputCol="x", outputCol="y").transform(df)
    assert result.schema["y"].dataType.elementType == FloatType()
    out = by_id(result)
    for i, row in enumerate(rows):
        expected = layer_norm(row.astype(np.float64))
        got = np.asarray(out[i], dtype=np.float64)
        ulp = np.spacing(np.abs(expected).astype(np.float32)).astype(np.float64)
        assert np.all(np.abs(got - expected) <= ulp), (got, expected)


def test_several_columns_in_one_pass(spark):
    schema = StructType([StructField("id", IntegerType()), StructField("a", ArrayType(DoubleType())),
                         StructField("b", ArrayType(DoubleType()))])
    df = spark.createDataFrame([(0, ROWS[0].tolist(), ROWS[1][:3].tolist())], schema)
    ln = LayerNormalizer(inputCols=["a", "b"], outputCols=["a2", "b2"])
    row = ln.transform(df).collect()[0]
    assert_row_close(row["a2"], layer_norm(ROWS[0]))
    assert_row_close(row["b2"], layer_norm(ROWS[1][:3]))


def test_groups_and_the_statistics_columns(spark):
    df = frame(spark, ArrayType(DoubleType()), [r.tolist() for r in ROWS])
    ln = LayerNormalizer(inputCol="x", outputCol="y", groupSize=3, scale=[1.0, 2.0, 3.0], meanCol="mean",
                         invStdDevCol="inv")
    rows = {r["id"]: r for r in ln.transform(df).collect()}
    for i, x in enumerate(ROWS):
        assert_row_close(rows[i]["y"], grouped(layer_norm, x, 3, scale=[1.0, 2.0, 3.0]), "row %d" % i)
        for g in range(2):
            part = x[3 * g:3 * g + 3]
            pivot = part - part[0]
            assert rows[i]["mean"][g] == pytest.approx(part[0] + pivot.mean(), rel=1e-12, abs=1e-300)
            assert rows[i]["inv"][g] == pytest.approx(1 / np.sqrt(pivot.var() + 1e-5), rel=1e-12)


def test_rms_with_groups_and_the_inverse_rms(spark):
    df = frame(spark, ArrayType(DoubleType()), [r.tolist() for r in ROWS])
    rms = RmsNormalizer(inputCol="x", outputCol="y", groupSize=2, scale=np.array([0.5, 2.0]), invStdDevCol="inv",
                        epsilon=1e-6)
    rows = {r["id"]: r for r in rms.transform(df).collect()}
    for i, x in enumerate(ROWS):
        assert_row_close(rows[i]["y"], grouped(rms_norm, x, 2, epsilon=1e-6, scale=[0.5, 2.0]), "row %d" % i)
        assert rows[i]["inv"][0] == pytest.approx(1 / np.sqrt((x[:2] ** 2).mean() + 1e-6), rel=1e-12)


MIXED = [[1.0, 2.0, 3.0], None, [1.0, float("nan"), 3.0], [], [4.0, 5.0, 6.0], [1.0, 2.0]]


def test_skip_drops_exactly_the_invalid_rows(spark):
    df = frame(spark, ArrayType(DoubleType()), MIXED)
    ln = LayerNormalizer(inputCol="x", outputCol="y", handleInvalid="skip", shift=[0.0, 0.0, 0.0])
    assert sorted(by_id(ln.transform(df))) == [0, 4]


def test_keep_keeps_invalid_rows_with_a_null_output(spark):
    df = frame(spark, ArrayType(DoubleType()), MIXED)
    out = by_id(LayerNormalizer(inputCol="x", outputCol="y", handleInvalid="keep", shift=[0.0, 0.0, 0.0])
                .transform(df))
    assert sorted(i for i, y in out.items() if y is None) == [1, 2, 3, 5]
    assert_row_close(out[4], layer_norm([4.0, 5.0, 6.0]))


def test_error_names_the_column_the_row_and_the_problem(spark):
    df = frame(spark, ArrayType(DoubleType()), [[1.0, 2.0], [1.0, float("nan")]]).repartition(1)
    with pytest.raises(Exception) as failure:
        LayerNormalizer(inputCol="x", outputCol="y").transform(df).collect()
    message = str(failure.value)
    assert "input column 'x' in row 2" in message and "holds NaN at index 1" in message, message
    assert "set handleInvalid to 'skip'" in message, message


def test_a_param_of_the_wrong_type_fails_in_python_naming_it(spark):
    with pytest.raises(TypeError, match="epsilon"):
        LayerNormalizer(epsilon="not a number")


def test_a_value_the_java_stage_refuses_surfaces_its_message(spark):
    """The Java stage's own validation (Spark's Param.validate on the JVM, or the Connect server) says it."""
    df = frame(spark, ArrayType(DoubleType()), [[1.0, 2.0]])
    for param, value in (("epsilon", -1.0), ("backend", "gpu")):
        stage = LayerNormalizer(inputCol="x", outputCol="y", **{param: value})
        with pytest.raises(Exception) as failure:
            stage.transform(df).collect()
        expected = "%s parameter %s given invalid value %s." % (stage.uid, param, value)
        assert expected in str(failure.value), str(failure.value)


def test_python_defaults_are_the_java_defaults(spark):
    ln = LayerNormalizer()
    assert ln.getEpsilon() == 1e-5 and ln.getHandleInvalid() == "error" and ln.getBackend() == "auto"
    assert ln.getBatchSize() == 4096 and ln.getOutputCol() == ln.uid + "__output"
    assert ln.getScale() is None and ln.getShift() is None and ln.getGroupSize() == 0
    assert not any(ln.isSet(p) for p in ln.params), "a default is not a set param (Connect sends only set ones)"


def test_the_java_stage_applies_the_same_defaults(spark):
    """Where the defaults matter, in classic and over Connect (which sends only set params): the
    JVM's output column and its epsilon are Python's."""
    df = frame(spark, ArrayType(DoubleType()), [r.tolist() for r in ROWS])
    result = LayerNormalizer(inputCol="x").transform(df)
    output = [c for c in result.columns if c not in ("id", "x")]
    assert output == [result.columns[-1]] and output[0].endswith("__output"), result.columns
    defaults = by_id(result, output[0])
    explicit = by_id(LayerNormalizer(inputCol="x", outputCol="y", epsilon=1e-5, handleInvalid="error",
                                     backend="auto", batchSize=4096).transform(df))
    for i in range(len(ROWS)):
        assert list(defaults[i]) == list(explicit[i]), "row %d" % i


def test_every_java_param_has_the_same_name_doc_and_default(spark, classic_only):
    for stage in (LayerNormalizer(), RmsNormalizer()):
        java = stage._java_obj
        java_params = {p.name(): p for p in java.params()}
        assert sorted(java_params) == sorted(p.name for p in stage.params), type(stage).__name__
        for param in stage.params:
            jp = java_params[param.name]
            assert param.doc == jp.doc(), param.name
            if java.hasDefault(jp):
                default = java.getDefault(jp).get()
                assert stage.getOrDefault(param) == default, param.name
            else:
                assert not stage.hasDefault(param), param.name


def test_numpy_arrays_are_accepted_for_scale_and_shift(spark):
    ln = LayerNormalizer(scale=np.array([1.0, 2.5], dtype=np.float32), shift=np.array([[0.5], [1.0]]))
    assert ln.getScale() == [1.0, 2.5] and ln.getShift() == [0.5, 1.0]
    assert RmsNormalizer().setScale(np.arange(3)).getScale() == [0.0, 1.0, 2.0]
    with pytest.raises(TypeError, match="scale"):
        LayerNormalizer(scale=np.array(["a", "b"]))
    # ...and the JVM gets the same values as from a list.
    df = frame(spark, ArrayType(DoubleType()), [[1.0, 4.0], [-2.0, 2.0]])
    from_numpy = by_id(ln.setInputCol("x").setOutputCol("y").transform(df))
    from_list = by_id(LayerNormalizer(inputCol="x", outputCol="y", scale=[1.0, 2.5], shift=[0.5, 1.0]).transform(df))
    assert from_numpy == from_list and from_numpy[0] is not None


def test_a_saved_stage_loads_as_the_package_class(spark, tmp_path):
    ln = LayerNormalizer(inputCol="x", outputCol="y", scale=[1.0, 2.0], shift=[0.5, 0.0], epsilon=1e-3,
                         groupSize=2, meanCol="m", invStdDevCol="s", handleInvalid="keep", backend="java",
                         batchSize=17)
    ln.write().overwrite().save(str(tmp_path / "ln"))
    loaded = LayerNormalizer.load(str(tmp_path / "ln"))
    assert type(loaded) is LayerNormalizer and loaded.uid == ln.uid
    for param in ln.params:
        assert loaded.isSet(param.name) == ln.isSet(param), param.name
        if ln.isDefined(param):
            assert loaded.getOrDefault(param.name) == ln.getOrDefault(param), param.name


def assembled(spark):
    rows = [(float(a), float(b), float(c)) for a, b, c in RNG.normal(0, 10, (20, 3))]
    return spark.createDataFrame(rows, ["f1", "f2", "f3"])


def pipeline():
    return Pipeline(stages=[VectorAssembler(inputCols=["f1", "f2", "f3"], outputCol="raw"),
                            LayerNormalizer(inputCol="raw", outputCol="features", scale=[1.0, 2.0, 3.0]),
                            RmsNormalizer(inputCol="features", outputCol="rms")])


def test_a_pipeline_saved_from_python_loads_in_python_with_the_package_classes(spark, tmp_path):
    df = assembled(spark)
    model = pipeline().fit(df)
    model.write().overwrite().save(str(tmp_path / "pm"))
    loaded = PipelineModel.load(str(tmp_path / "pm"))
    assert [type(s).__name__ for s in loaded.stages] == ["VectorAssembler", "LayerNormalizer", "RmsNormalizer"]
    assert isinstance(loaded.stages[1], LayerNormalizer) and isinstance(loaded.stages[2], RmsNormalizer)
    before = model.transform(df).select("rms").collect()
    after = loaded.transform(df).select("rms").collect()
    assert before == after


def test_a_pipeline_saved_from_python_loads_in_java(spark, tmp_path, classic_only):
    model = pipeline().fit(assembled(spark))
    model.write().overwrite().save(str(tmp_path / "pm"))
    jvm = spark.sparkContext._jvm
    java_model = jvm.org.apache.spark.ml.PipelineModel.load(str(tmp_path / "pm"))
    stage = java_model.stages()[1]
    assert stage.getClass().getName() == "io.github.sparklayernorm.ml.LayerNormalizer"
    assert list(stage.getScale()) == [1.0, 2.0, 3.0]
    assert java_model.stages()[2].getClass().getName() == "io.github.sparklayernorm.ml.RmsNormalizer"


def test_a_pipeline_saved_from_java_loads_in_python(spark, tmp_path, classic_only):
    jvm = spark.sparkContext._jvm
    java_ln = jvm.io.github.sparklayernorm.ml.LayerNormalizer().setInputCol("raw").setOutputCol("features")
    java_ln.setEpsilon(1e-3)
    stages = spark.sparkContext._gateway.new_array(jvm.org.apache.spark.ml.Transformer, 1)
    stages[0] = java_ln
    java_model = jvm.org.apache.spark.ml.PipelineModel(jvm.java.util.UUID.randomUUID().toString(), stages)
    java_model.write().overwrite().save(str(tmp_path / "java-pm"))
    loaded = PipelineModel.load(str(tmp_path / "java-pm"))
    assert isinstance(loaded.stages[0], LayerNormalizer)
    assert loaded.stages[0].getEpsilon() == 1e-3 and loaded.stages[0].getOutputCol() == "features"


FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "java-pipeline")


def test_a_pipeline_saved_by_java_loads_and_runs(spark):
    """A pipeline the Java API saved (make_fixtures.py): loads in either mode, with the package's classes."""
    loaded = PipelineModel.load(FIXTURE)
    assert [type(s).__name__ for s in loaded.stages] == ["VectorAssembler", "LayerNormalizer"]
    out = loaded.transform(spark.createDataFrame([(1.0, 2.0, 4.0)], ["f1", "f2", "f3"])).collect()[0]
    assert_row_close(values(out["features"]), layer_norm([1.0, 2.0, 4.0], 1e-3, [1.0, 2.0, 3.0], [0.0, 0.5, 1.0]))


def test_importing_the_package_registers_the_java_package_name():
    assert sys.modules["io.github.sparklayernorm.ml"].LayerNormalizer is LayerNormalizer
    assert LayerNormalizer.__module__ == "io.github.sparklayernorm.ml"


def test_a_missing_jar_says_how_to_add_it(classic_only):
    script = ("from pyspark.sql import SparkSession\n"
              "from sparklayernorm import LayerNormalizer\n"
              "SparkSession.builder.master('local[1]').config('spark.ui.enabled', 'false')"
              ".config('spark.driver.host', '127.0.0.1').config('spark.driver.bindAddress', '127.0.0.1')"
              ".getOrCreate()\n"
              "try:\n    LayerNormalizer()\nexcept RuntimeError as e:\n    print('ERROR:', e)\n")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert "ERROR: the spark-layernorm jar is not on this Spark session's class path" in run.stdout, run.stderr
    assert "spark.jars" in run.stdout and "jar_path()" in run.stdout


def test_jar_path_names_the_jar_of_the_installed_spark_line():
    import pyspark

    path = sparklayernorm.jar_path()
    assert os.path.isfile(path)
    scala = "2.12" if pyspark.__version__.startswith("3.5") else "2.13"
    assert os.path.basename(path).startswith("spark-layernorm-core_%s-" % scala)
    with pytest.raises(RuntimeError, match=r"supports Spark 3\.5, 4\.0, 4\.1, 4\.2, 4\.3; this is Spark 3\.4\.1"):
        sparklayernorm.jar_path("3.4.1")
    with pytest.raises(RuntimeError, match="supports Spark"):
        sparklayernorm.jar_path("5.0.0")
