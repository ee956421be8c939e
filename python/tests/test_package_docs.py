"""What the package says of itself holds: its examples run, and the versions it names are the ones tested."""
import doctest
import glob
import os
import re

from sparklayernorm import LayerNormalizer, RmsNormalizer
from sparklayernorm import _jars

PYTHON = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_the_docstring_examples_run(spark):
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    globs = {"spark": spark, "LayerNormalizer": LayerNormalizer, "RmsNormalizer": RmsNormalizer}
    # module=False: the classes live under the Java package's name, not this module's.
    tests = [t for stage in (LayerNormalizer, RmsNormalizer)
             for t in finder.find(stage, stage.__name__, module=False, globs=dict(globs)) if t.examples]
    assert len(tests) >= 2, [t.name for t in tests]
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0 and result.attempted >= 8, result


def test_the_readme_names_the_tested_lines():
    with open(os.path.join(PYTHON, "README.md"), encoding="utf-8") as readme:
        text = " ".join(readme.read().split())
    sentence = re.search(r"Tested with pyspark (.*?);", text).group(1)
    named = dict(re.findall(r"(\d\.\d) \(([^)]*)\)", sentence))
    assert named == {line: " and ".join(modes) for line, modes in _jars.TESTED.items()}, sentence


def test_the_tested_lines_are_those_the_tests_install_and_the_package_supports():
    requirements = sorted(re.search(r"requirements-test-(\d\.\d)\.txt", path).group(1)
                          for path in glob.glob(os.path.join(PYTHON, "requirements-test-*.txt")))
    assert requirements == sorted(_jars.TESTED)
    with open(os.path.join(PYTHON, "pyproject.toml"), encoding="utf-8") as pyproject:
        low, high = re.search(r'"pyspark>=(\d\.\d),<(\d\.\d)"', pyproject.read()).groups()
    supported = sorted(_jars.SCALA_FOR_SPARK, key=lambda v: tuple(map(int, v.split("."))))
    assert supported[0] == low and tuple(map(int, supported[-1].split("."))) < tuple(map(int, high.split(".")))
    assert set(_jars.TESTED) <= set(_jars.SCALA_FOR_SPARK)
    with open(os.path.join(PYTHON, "run-tests.sh"), encoding="utf-8") as script:
        lines = re.search(r"for line in ([\d. ]+); do", script.read()).group(1).split()
    assert sorted(lines) == sorted(_jars.TESTED)
