"""Builds the wheel with the library's jars inside it.

The jars come from the Maven build beside this folder (``mvn -B -DskipTests install`` builds the
Spark 4 / Scala 2.13 one; ``-Pspark-3.5`` the Spark 3.5 / Scala 2.12 one), or from the folder named
by the environment variable SPARKLAYERNORM_JARS. The version is the Maven build's, in Python's
spelling (0.1.0-SNAPSHOT is 0.1.0.dev0).
"""
import glob
import os
import re
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def maven_version():
    with open(os.path.join(ROOT, "pom.xml"), encoding="utf-8") as pom:
        text = pom.read()
    # The parent's own version: the first <version> after its artifactId.
    match = re.search(r"<artifactId>spark-layernorm-parent</artifactId>\s*<version>([^<]+)</version>", text)
    if not match:
        raise RuntimeError("no version found in " + os.path.join(ROOT, "pom.xml"))
    version = match.group(1)
    return version.replace("-SNAPSHOT", ".dev0")


def library_jars(version):
    """The shaded library jars (library, engine, Aparapi; not Spark), one per Scala line found."""
    folder = os.environ.get("SPARKLAYERNORM_JARS", os.path.join(ROOT, "spark-core", "target"))
    maven = version.replace(".dev0", "-SNAPSHOT")
    jars = []
    for scala in ("2.13", "2.12"):
        found = glob.glob(os.path.join(folder, "spark-layernorm-core_%s-%s-bundle.jar" % (scala, maven)))
        if found:
            jars.append(found[0])
        else:
            print("spark-layernorm: no Scala %s jar in %s (build it with mvn -B -DskipTests install%s)"
                  % (scala, folder, " -Pspark-3.5" if scala == "2.12" else ""))
    if not jars:
        raise RuntimeError("no spark-layernorm jar in " + folder + ": run mvn -B -DskipTests install first")
    return jars


class BuildWithJars(build_py):
    def run(self):
        super().run()
        target = os.path.join(self.build_lib, "sparklayernorm", "jars")
        # A build folder left by an earlier build may hold jars of another version or name.
        shutil.rmtree(target, ignore_errors=True)
        os.makedirs(target)
        for jar in library_jars(self.distribution.get_version()):
            shutil.copy(jar, target)


setup(version=maven_version(), cmdclass={"build_py": BuildWithJars})
