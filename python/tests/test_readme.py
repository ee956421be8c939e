"""The README's Python quickstart and the user guide's Python examples run, and every link in the README and docs/ resolves."""
import glob
import os
import re

from conftest import MODE, ROOT

README = os.path.join(ROOT, "README.md")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def _python_blocks(path):
    with open(path, encoding="utf-8") as f:
        return [code for language, code in FENCE.findall(f.read()) if language == "python"]


def test_the_readme_python_quickstart_runs(spark, tmp_path, capsys):
    blocks = _python_blocks(README)
    assert blocks, "the README has a Python quickstart"
    code = blocks[0].replace("/tmp/ln-pipeline", str(tmp_path / "ln-pipeline"))
    if MODE == "connect":
        # The same code over Spark Connect: only the session comes from builder.remote(...).
        code, replaced = re.subn(r"spark = SparkSession\.builder.*?\.getOrCreate\(\)", "spark = SESSION", code)
        assert replaced == 1
    exec(compile(code, README, "exec"), {"SESSION": spark})
    shown = capsys.readouterr().out
    # Two rows of three normalized values: the first row, 1e5 + (1, 2, 4), centred to (-4/3, -1/3, 5/3)
    # over sqrt(14/9 + epsilon), times scale (1, 2, 0.5) plus shift (0, 0.1, 0).
    rows = re.findall(r"\|\[(-?[\d.E-]+),(-?[\d.E-]+),(-?[\d.E-]+)\]", shown)
    assert len(rows) == 2, shown
    std = (14 / 9 + 1e-5) ** 0.5
    expected = [(-4 / 3) / std, 2 * (-1 / 3) / std + 0.1, 0.5 * (5 / 3) / std]
    assert [round(float(v), 12) for v in rows[0]] == [round(v, 12) for v in expected], shown


def _slug(heading):
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(path):
    with open(path, encoding="utf-8") as f:
        text = FENCE.sub("", f.read())
    return {_slug(h) for h in re.findall(r"^#+ (.*)$", text, re.M)}


def _documents():
    return [README] + sorted(glob.glob(os.path.join(ROOT, "docs", "**", "*.md"), recursive=True))


def test_every_link_in_the_readme_and_docs_resolves():
    broken = []
    for document in _documents():
        with open(document, encoding="utf-8") as f:
            text = FENCE.sub("", f.read())
        for target in LINK.findall(text):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            resolved = os.path.normpath(os.path.join(os.path.dirname(document), path)) if path else document
            where = os.path.relpath(document, ROOT) + ": " + target
            if not os.path.exists(resolved):
                broken.append(where + " (no such file)")
            elif anchor and not (resolved.endswith(".md") and anchor in _anchors(resolved)):
                broken.append(where + " (no such heading)")
    assert broken == []
    assert len(_documents()) >= 12


def test_the_readme_is_a_landing_page():
    with open(README, encoding="utf-8") as f:
        lines = f.read().splitlines()
    assert len(lines) <= 200, len(lines)
    headings = [line for line in lines if line.startswith("## ")]
    assert headings[:3] == ["## Set-up", "## Python quickstart", "## Java quickstart"], headings


def _guide_block(page, index):
    blocks = _python_blocks(os.path.join(ROOT, "docs", "guide", page))
    assert len(blocks) > index, page
    return blocks[index]


def _write_safetensors(path, tensors):
    """A .safetensors file of float32 tensors: an 8-byte header length, the JSON header, the data."""
    import json
    import struct

    import numpy as np

    header, data = {}, b""
    for name, values in tensors.items():
        raw = np.asarray(values, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": [len(values)], "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)


def _exec_in(folder, code, names, spark):
    """
    Runs a guide block in its own folder, on the test's session: its relative paths land there (the
    JVM resolves paths against its own working folder, so the block's relative path literals are
    made absolute; Python's own reads follow the change of folder).
    """
    code = re.sub(r"spark = SparkSession\.builder.*?\.getOrCreate\(\)", "spark = SESSION", code)
    code = re.sub(r'"((?:models|landing|checkpoints|scored)/[^"]*)"',
                  lambda m: '"%s"' % os.path.join(str(folder), m.group(1)), code)
    here = os.getcwd()
    os.chdir(folder)
    try:
        namespace = dict(names, SESSION=spark, spark=spark)
        exec(compile(code, "docs/guide", "exec"), namespace)
        return namespace
    finally:
        os.chdir(here)


def test_the_python_guides_pipeline_example_runs(spark, tmp_path):
    code = _guide_block("python.md", 0).replace('"/models/ln-pipeline"', '"models/ln-pipeline"')
    _write_safetensors(str(tmp_path / "model.safetensors"),
                       {"encoder.layer_norm.weight": [1.0, 0.5, 2.0], "encoder.layer_norm.bias": [0.0, 1.0, -1.0]})
    train = spark.createDataFrame([(float(i), i * 2.0 + 1, (i % 3) * 10.0, float(i % 2)) for i in range(40)],
                                  ["a", "b", "c", "label"])
    namespace = _exec_in(tmp_path, code, {"cols": ["a", "b", "c"], "train": train}, spark)
    assert namespace["model"].stages[1].getScale() == [1.0, 0.5, 2.0]
    assert os.path.isdir(str(tmp_path / "models" / "ln-pipeline"))


def test_the_python_guides_connect_example_runs(spark):
    code = _guide_block("python.md", 1)
    spark.createDataFrame([([1.0, 2.0, 4.0],)], ["x"]).createOrReplaceTempView("embeddings")
    code, replaced = re.subn(r'SparkSession\.builder\.remote\("sc://connect-host:15002"\)\.getOrCreate\(\)',
                             "SESSION", code)
    assert replaced == 1
    code = code.replace('LayerNormalizer(inputCol="x", outputCol="y").transform(spark.table("embeddings"))',
                        'out = LayerNormalizer(inputCol="x", outputCol="y").transform(spark.table("embeddings"))')
    namespace = _exec_in(".", code, {}, spark)
    assert "y" in namespace["out"].columns


def test_the_deployment_guides_streaming_example_runs(spark, tmp_path):
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import VectorAssembler

    from sparklayernorm import LayerNormalizer

    events = spark.createDataFrame([(float(i), i * 3.0, 1e6 + i) for i in range(30)], ["a", "b", "c"])
    Pipeline(stages=[VectorAssembler(inputCols=["a", "b", "c"], outputCol="raw"),
                     LayerNormalizer(inputCol="raw", outputCol="features")]).fit(events) \
        .write().overwrite().save(str(tmp_path / "models" / "scorer"))
    events.write.parquet(str(tmp_path / "landing"))
    _exec_in(tmp_path, _guide_block("deployment.md", 0), {"schema": events.schema}, spark)
    assert spark.read.parquet(str(tmp_path / "scored")).count() == 30
