"""What a PySpark user gains: the stage against what they would write instead, over the same table in one run.

The alternatives, each over the same cached rows, each keeping only its output, written to Spark's
noop sink (so that nothing but the computation and Spark's own handling of the rows is timed):

* identity: the column selected as it is, the least any of them can cost;
* LayerNormalizer (this library), on the vector column;
* a pandas_udf with numpy, on the same values as array<double> (vectors do not cross Arrow): the
  usual way to run row-wise numpy in PySpark;
* MLlib's Normalizer (an L2 norm, not layer norm): what a built-in stage of this kind costs;
* Spark SQL's higher-order functions (``aggregate`` for the mean and variance, ``transform`` for
  the output; see sql_layer_norm), on a smaller table: Spark interprets their lambdas, so a round
  over the large table would take minutes. The stage runs on that small table too, for its ratio.

Rounds alternate the cases, and each ratio is the median of the rounds' own ratios (the stage's
time against the case's, in the same round), as the machines this runs on are shared.
Run: bin/bench-pyspark [--rows 200000] [--d 256] [--hof-rows 20000] [--rounds 5] [--plot FILE].
"""
import argparse
import os
import platform
import statistics
import sys
import time

import numpy as np
import pandas as pd
import pyspark
from pyspark.ml.feature import Normalizer
from pyspark.ml.functions import array_to_vector
from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql.functions import pandas_udf
from pyspark.sql.types import ArrayType, DoubleType

from sparklayernorm import jar_path
from sparklayernorm.ml import LayerNormalizer

EPSILON = 1e-5


@pandas_udf(ArrayType(DoubleType()))
def numpy_layer_norm(rows: pd.Series) -> pd.Series:
    """Layer norm of each row with numpy, a batch of rows at a time (Arrow's batches)."""
    x = np.stack(rows.to_numpy())
    mean = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True)
    return pd.Series(list((x - mean) / np.sqrt(var + EPSILON)))


def sql_layer_norm(frame, column, out, keep=()):
    """Layer norm in Spark SQL's higher-order functions, as a careful user writes it: the mean, then
    the variance around it, then the output, each its own projection over the one before. Spark
    keeps them apart (its optimizer does not copy an expensive expression into two places), so a
    row costs a few times d lambda calls; written as one expression, the statistics would be
    evaluated again inside the lambda for every element (d^2 a row, or d^3 with the variance's own
    mean inside). The lambdas are interpreted: Spark generates no code for them."""
    n = F.size(column)
    keep = list(keep)
    with_mean = frame.select(*keep, F.col(column), (F.aggregate(column, F.lit(0.0), lambda acc, x: acc + x) / n).alias("_mean"))
    with_var = with_mean.select(*keep, column, "_mean", (F.aggregate(
        column, F.lit(0.0), lambda acc, x: acc + (x - F.col("_mean")) * (x - F.col("_mean"))) / n).alias("_var"))
    return with_var.select(*keep, F.transform(column, lambda x: (x - F.col("_mean")) / F.sqrt(F.col("_var") + F.lit(EPSILON)))
                           .alias(out))


def table(spark, rows, d):
    """rows x d values around 100 (an offset, as real features have), as a vector and as an array."""
    values = F.expr("transform(sequence(0, %d), i -> 100D + sin(id * 7919 + i) * 3)" % (d - 1))
    frame = spark.range(rows).select("id", values.alias("values"))
    frame = frame.select("id", "values", array_to_vector("values").alias("features")).cache()
    frame.count()
    return frame


def cases(big, small):
    """(name, table name, a function of the table that makes the output frame)."""
    return [
        ("identity", "large", big, lambda t: t.select(F.col("features").alias("out"))),
        ("LayerNormalizer", "large", big,
         lambda t: LayerNormalizer(inputCol="features", outputCol="out", epsilon=EPSILON).transform(t).select("out")),
        ("pandas_udf + numpy", "large", big, lambda t: t.select(numpy_layer_norm("values").alias("out"))),
        ("MLlib Normalizer (L2)", "large", big,
         lambda t: Normalizer(inputCol="features", outputCol="out").transform(t).select("out")),
        ("LayerNormalizer", "small", small,
         lambda t: LayerNormalizer(inputCol="features", outputCol="out", epsilon=EPSILON).transform(t).select("out")),
        ("SQL higher-order functions", "small", small, lambda t: sql_layer_norm(t, "values", "out")),
    ]


def check_same_values(big, small):
    """The alternatives that compute layer norm give the stage's values (to 1e-9): timing them means something."""
    sample = big.limit(50)
    stage = LayerNormalizer(inputCol="features", outputCol="out", epsilon=EPSILON).transform(sample)
    expected = {r.id: r.out.toArray() for r in stage.select("id", "out").collect()}
    for name, frame in [("pandas_udf + numpy", sample.select("id", numpy_layer_norm("values").alias("out"))),
                        ("SQL higher-order functions", sql_layer_norm(sample, "values", "out", keep=["id"]))]:
        for r in frame.collect():
            difference = np.abs(np.asarray(r.out) - expected[r.id]).max()
            if not difference < 1e-9:
                sys.exit("%s differs from the stage by %g on row %d: not the same normalization" % (name, difference, r.id))


def cpu():
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def run(frame):
    start = time.perf_counter()
    frame.write.format("noop").mode("overwrite").save()
    return time.perf_counter() - start


def plot(path, results, rows, small_rows, d):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = ["%s\n(%s table)" % (name, size) for (name, size), _ in results]
    rates = [(rows if size == "large" else small_rows) / min(times) for (name, size), times in results]
    fig, ax = plt.subplots(figsize=(8, 3.6))
    bars = ax.barh(labels[::-1], rates[::-1], color=["#4c72b0" if "LayerNormalizer" in l else "#999999"
                                                    for l in labels[::-1]])
    ax.set_xscale("log")
    ax.set_xlabel("rows per second (log scale), best round; d = %d, local[2]" % d)
    for bar, rate in zip(bars, rates[::-1]):
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, " %s" % format(int(rate), ","),
                va="center", fontsize=8)
    ax.set_xlim(right=max(rates) * 8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print("plot: %s" % path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--d", type=int, default=256)
    parser.add_argument("--hof-rows", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--plot", metavar="FILE", help="also draw the rows/s of each case into this PNG")
    args = parser.parse_args()

    spark = (SparkSession.builder.master("local[2]").appName("bench-pyspark")
             .config("spark.jars", jar_path())
             .config("spark.driver.memory", os.environ.get("BENCH_DRIVER_MEMORY", "6g"))
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.driver.extraJavaOptions", "-Dlog4j2.configurationFile=bin/log4j2-quiet.properties")
             .config("spark.sql.shuffle.partitions", "2")
             .config("spark.sql.execution.arrow.pyspark.enabled", "true")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    big = table(spark, args.rows, args.d)
    small = table(spark, args.hof_rows, args.d)
    check_same_values(big, small)

    plan = cases(big, small)
    times = {(name, size): [] for name, size, _, _ in plan}
    for frame_of, t in [(f, t) for _, _, t, f in plan]:
        run(frame_of(t))  # warm-up: compiled, and Python workers started
    for _ in range(args.rounds):
        for name, size, t, frame_of in plan:
            times[(name, size)].append(run(frame_of(t)))

    print("PySpark %s, Spark local[2], %s, %d cores (%s); d = %d; large table %d rows, small %d rows, cached;"
          " noop sink; %d rounds" % (pyspark.__version__, platform.python_version(), os.cpu_count(),
                                     cpu(), args.d, args.rows, args.hof_rows,
                                     args.rounds))
    print("| case | table | best | rows/s (best) | the stage's speed against it (median of the rounds) |")
    print("| --- | --- | ---: | ---: | ---: |")
    for (name, size), ts in times.items():
        stage = times[("LayerNormalizer", size)]
        ratio = statistics.median([t / s for t, s in zip(ts, stage)])
        n = args.rows if size == "large" else args.hof_rows
        against = "" if name == "LayerNormalizer" else (
            "%.2fx" % ratio if name != "identity" else "%.2fx (the stage takes %.2fx its time)" % (ratio, 1 / ratio))
        print("| %s | %s | %.2f s | %s | %s |" % (name, size, min(ts), format(int(n / min(ts)), ","), against))
    if args.plot:
        plot(args.plot, list(times.items()), args.rows, args.hof_rows, args.d)
    spark.stop()


if __name__ == "__main__":
    main()
