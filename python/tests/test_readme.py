"""The README's Python quickstart runs as written, and every link in the README and docs/ resolves."""
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
