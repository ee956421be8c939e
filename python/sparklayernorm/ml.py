"""PySpark wrappers of the Java stages ``io.github.sparklayernorm.ml.LayerNormalizer`` and
``RmsNormalizer``: every Java param under the same name, doc and default.

The classes live under the Java package's name (``__module__``), which ``sparklayernorm`` registers
in ``sys.modules``: PySpark finds a saved stage's Python class from its Java class name, and Spark
Connect names the Java class from the Python class's module.
"""
from typing import Any, Dict, List, Optional, TypeVar

import numpy as np
from pyspark import keyword_only
from pyspark.ml.param import Param, Params, TypeConverters
from pyspark.ml.param.shared import HasHandleInvalid, HasInputCol, HasInputCols, HasOutputCol, HasOutputCols
from pyspark.ml.util import JavaMLReadable, JavaMLWritable
from pyspark.ml.wrapper import JavaTransformer

JAVA_PACKAGE = "io.github.sparklayernorm.ml"

#: The Java stages' defaults (Spark Connect sends only the params a user set, so these must agree;
#: test_stages.py checks that they do).
DEFAULT_EPSILON = 1e-5
DEFAULT_BATCH_SIZE = 4096
MAX_BATCH_SIZE = 1 << 20

#: The stage a setter is called on, which it returns.
S = TypeVar("S", bound="_RowNormalizerParams")


def _to_list_float(value: Any) -> List[float]:
    """A list of floats from a list, a tuple or a numpy array of any float dtype (weights often are float32)."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "fiu":
            raise TypeError("Could not convert a numpy array of dtype %s to a list of floats" % value.dtype)
        return [float(v) for v in value.ravel().tolist()]
    return TypeConverters.toListFloat(value)


class _RowNormalizerParams(HasInputCol, HasOutputCol, HasInputCols, HasOutputCols, HasHandleInvalid):
    """The params both stages share (the Java RowNormalizer's), with its docs and defaults. The
    columns and handleInvalid come from PySpark's shared params, as PySpark's own feature stages do;
    handleInvalid is declared again because this stage also keeps invalid rows ('keep')."""

    epsilon: "Param[float]" = Param(
        Params._dummy(), "epsilon",
        "added under the square root; finite and > 0 (PyTorch and ONNX use 1e-5)",
        typeConverter=TypeConverters.toFloat)
    scale: "Param[List[float]]" = Param(
        Params._dummy(), "scale",
        "per-feature scale (gamma) applied after normalizing; all ones when unset. When set, every row"
        " (every group, with groupSize) must have its length",
        typeConverter=_to_list_float)
    groupSize: "Param[int]" = Param(
        Params._dummy(), "groupSize",
        "normalize each consecutive block of this many values of a row on its own (one token of a"
        " flattened [tokens x hidden] row); unset: the whole row. Rows must be a multiple of it",
        typeConverter=TypeConverters.toInt)
    invStdDevCol: "Param[str]" = Param(
        Params._dummy(), "invStdDevCol",
        "optional output column with each row's inverse standard deviation: 1 / sqrt(var + epsilon)"
        " for layer normalization (ONNX's InvStdDev), 1 / sqrt(mean(x^2) + epsilon) for RMS"
        " normalization; a double, or one per group with groupSize",
        typeConverter=TypeConverters.toString)
    handleInvalid: "Param[str]" = Param(
        Params._dummy(), "handleInvalid",
        "how to handle invalid rows (null, empty, NaN or infinite values, a length other than scale/shift's):"
        " 'error' fails the job, 'skip' drops the row, 'keep' keeps it with a null output",
        typeConverter=TypeConverters.toString)
    backend: "Param[str]" = Param(
        Params._dummy(), "backend",
        "which engine normalizes: 'auto' (a GPU when the executor has one, else Java), 'java',"
        " or 'opencl' (OpenCL required: a GPU, else any OpenCL device)",
        typeConverter=TypeConverters.toString)
    batchSize: "Param[int]" = Param(
        Params._dummy(), "batchSize",
        "most rows handed to the engine (and to the device) at a time, from 1 to %d; memory is bounded by"
        " the batch. The Java engine also caps a batch at 32,768 values, which keeps it in the CPU's cache"
        % MAX_BATCH_SIZE,
        typeConverter=TypeConverters.toInt)

    _JAVA_CLASS: str

    def __init__(self, *args: Any):
        super().__init__(*args)
        self._setDefault(epsilon=DEFAULT_EPSILON, handleInvalid="error", backend="auto", batchSize=DEFAULT_BATCH_SIZE)

    def _make_java_stage(self) -> None:
        """The Java stage this wraps, under the same uid (under Connect: its class name)."""
        from pyspark.sql import SparkSession
        from pyspark.sql.utils import is_remote

        name = self._JAVA_CLASS.rsplit(".", 1)[-1]
        if not is_remote() and SparkSession.getActiveSession() is None:
            raise RuntimeError("%s needs an active SparkSession; start one first, with the library's jar:"
                               " SparkSession.builder.config('spark.jars', sparklayernorm.jar_path())" % name)
        try:
            self._java_obj = self._new_java_obj(self._JAVA_CLASS, self.uid)
        except TypeError as e:
            # Py4J names a class it cannot find a package, and a package cannot be called.
            if "JavaPackage" not in str(e):
                raise
            raise RuntimeError(
                "the spark-layernorm jar is not on this Spark session's class path (%s not found). Start the"
                " session with it: SparkSession.builder.config('spark.jars', sparklayernorm.jar_path());"
                " with spark-submit or pyspark, pass --jars with that path" % self._JAVA_CLASS) from None

    def _set_given(self: S, kwargs: Dict[str, Any]) -> S:
        # Only what the caller gave: a default is not a set param (Spark Connect sends only set ones).
        return self._set(**{k: v for k, v in kwargs.items() if v is not None})

    def getEpsilon(self) -> float:
        return self.getOrDefault(self.epsilon)

    def getScale(self) -> Optional[List[float]]:
        """The scale, or ``None`` when unset (all ones)."""
        return self.getOrDefault(self.scale) if self.isDefined(self.scale) else None

    def getGroupSize(self) -> int:
        """The group size, or 0 when unset (the whole row is one group), as the Java stage says."""
        return self.getOrDefault(self.groupSize) if self.isDefined(self.groupSize) else 0

    def getInvStdDevCol(self) -> Optional[str]:
        return self.getOrDefault(self.invStdDevCol) if self.isDefined(self.invStdDevCol) else None

    def getBackend(self) -> str:
        return self.getOrDefault(self.backend)

    def getBatchSize(self) -> int:
        return self.getOrDefault(self.batchSize)

    def setInputCol(self: S, value: str) -> S:
        return self._set(inputCol=value)

    def setOutputCol(self: S, value: str) -> S:
        return self._set(outputCol=value)

    def setInputCols(self: S, value: List[str]) -> S:
        return self._set(inputCols=value)

    def setOutputCols(self: S, value: List[str]) -> S:
        return self._set(outputCols=value)

    def setEpsilon(self: S, value: float) -> S:
        return self._set(epsilon=value)

    def setScale(self: S, value: Any) -> S:
        """Gamma, one value per feature: a list or a numpy array (e.g. from :func:`read_tensor`)."""
        return self._set(scale=value)

    def setGroupSize(self: S, value: int) -> S:
        return self._set(groupSize=value)

    def setInvStdDevCol(self: S, value: str) -> S:
        return self._set(invStdDevCol=value)

    def setHandleInvalid(self: S, value: str) -> S:
        return self._set(handleInvalid=value)

    def setBackend(self: S, value: str) -> S:
        return self._set(backend=value)

    def setBatchSize(self: S, value: int) -> S:
        return self._set(batchSize=value)


class LayerNormalizer(JavaTransformer, _RowNormalizerParams, JavaMLReadable["LayerNormalizer"], JavaMLWritable):
    """Layer normalization of each row of a vector or array column, over the row's own values:
    ``y = scale * (x - mean(x)) / sqrt(var(x) + epsilon) + shift``, with the biased variance, as
    PyTorch's ``nn.LayerNorm`` and ONNX's ``LayerNormalization`` compute it.

    >>> from pyspark.ml.linalg import Vectors
    >>> df = spark.createDataFrame([(Vectors.dense([1.0, 2.0, 3.0]),)], ["features"])
    >>> ln = LayerNormalizer(inputCol="features", outputCol="normalized", scale=[1.0, 1.0, 2.0], shift=[0.0, 0.5, 0.0])
    >>> ln.transform(df).head().normalized.toArray().round(4).tolist()
    [-1.2247, 0.5, 2.4495]
    """

    __module__ = JAVA_PACKAGE
    _JAVA_CLASS = JAVA_PACKAGE + ".LayerNormalizer"

    shift: "Param[List[float]]" = Param(
        Params._dummy(), "shift",
        "per-feature shift (beta) added last; all zeros when unset. When set, every row (every group,"
        " with groupSize) must have its length",
        typeConverter=_to_list_float)
    meanCol: "Param[str]" = Param(
        Params._dummy(), "meanCol",
        "optional output column with each row's mean (ONNX's Mean): a double, or one per group with groupSize",
        typeConverter=TypeConverters.toString)
    _input_kwargs: Dict[str, Any]

    @keyword_only
    def __init__(self, *, inputCol: Optional[str] = None, outputCol: Optional[str] = None,
                 inputCols: Optional[List[str]] = None, outputCols: Optional[List[str]] = None,
                 epsilon: float = DEFAULT_EPSILON, scale: Any = None, shift: Any = None,
                 groupSize: Optional[int] = None, meanCol: Optional[str] = None,
                 invStdDevCol: Optional[str] = None, handleInvalid: str = "error", backend: str = "auto",
                 batchSize: int = DEFAULT_BATCH_SIZE):
        super().__init__()
        self._make_java_stage()
        self.setParams(**self._input_kwargs)

    @keyword_only
    def setParams(self, *, inputCol: Optional[str] = None, outputCol: Optional[str] = None,
                  inputCols: Optional[List[str]] = None, outputCols: Optional[List[str]] = None,
                  epsilon: float = DEFAULT_EPSILON, scale: Any = None, shift: Any = None,
                  groupSize: Optional[int] = None, meanCol: Optional[str] = None,
                  invStdDevCol: Optional[str] = None, handleInvalid: str = "error", backend: str = "auto",
                  batchSize: int = DEFAULT_BATCH_SIZE) -> "LayerNormalizer":
        """Sets the params given (by keyword)."""
        return self._set_given(self._input_kwargs)

    def getShift(self) -> Optional[List[float]]:
        return self.getOrDefault(self.shift) if self.isDefined(self.shift) else None

    def getMeanCol(self) -> Optional[str]:
        return self.getOrDefault(self.meanCol) if self.isDefined(self.meanCol) else None

    def setShift(self, value: Any) -> "LayerNormalizer":
        """Beta, one value per feature: a list or a numpy array."""
        return self._set(shift=value)

    def setMeanCol(self, value: str) -> "LayerNormalizer":
        return self._set(meanCol=value)


class RmsNormalizer(JavaTransformer, _RowNormalizerParams, JavaMLReadable["RmsNormalizer"], JavaMLWritable):
    """RMS normalization of each row: ``y = scale * x / sqrt(mean(x^2) + epsilon)``, as PyTorch's
    ``nn.RMSNorm`` and ONNX's ``RMSNormalization``. Epsilon defaults to 1e-5 (ONNX); set it to match
    the model (PyTorch: the dtype's machine epsilon; Keras: 1e-6).

    >>> from pyspark.ml.linalg import Vectors
    >>> df = spark.createDataFrame([(Vectors.dense([3.0, 4.0]),)], ["features"])
    >>> rms = RmsNormalizer(inputCol="features", outputCol="normalized", epsilon=1e-6)
    >>> rms.transform(df).head().normalized.toArray().round(4).tolist()
    [0.8485, 1.1314]
    """

    __module__ = JAVA_PACKAGE
    _JAVA_CLASS = JAVA_PACKAGE + ".RmsNormalizer"

    _input_kwargs: Dict[str, Any]

    @keyword_only
    def __init__(self, *, inputCol: Optional[str] = None, outputCol: Optional[str] = None,
                 inputCols: Optional[List[str]] = None, outputCols: Optional[List[str]] = None,
                 epsilon: float = DEFAULT_EPSILON, scale: Any = None, groupSize: Optional[int] = None,
                 invStdDevCol: Optional[str] = None, handleInvalid: str = "error", backend: str = "auto",
                 batchSize: int = DEFAULT_BATCH_SIZE):
        super().__init__()
        self._make_java_stage()
        self.setParams(**self._input_kwargs)

    @keyword_only
    def setParams(self, *, inputCol: Optional[str] = None, outputCol: Optional[str] = None,
                  inputCols: Optional[List[str]] = None, outputCols: Optional[List[str]] = None,
                  epsilon: float = DEFAULT_EPSILON, scale: Any = None, groupSize: Optional[int] = None,
                  invStdDevCol: Optional[str] = None, handleInvalid: str = "error", backend: str = "auto",
                  batchSize: int = DEFAULT_BATCH_SIZE) -> "RmsNormalizer":
        """Sets the params given (by keyword)."""
        return self._set_given(self._input_kwargs)
