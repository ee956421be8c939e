"""Independent references in numpy float64: layer and RMS normalization as the formulas say."""
import numpy as np


def layer_norm(x, epsilon=1e-5, scale=None, shift=None):
    x = np.asarray(x, dtype=np.float64)
    # Layer norm does not change when a constant is subtracted: subtracting the first value (exact
    # for values within a factor of 2 of it) keeps rows such as 1e6 + N(0, 3) from cancelling.
    x = x - x[0]
    mean = x.mean()
    var = ((x - mean) ** 2).mean()
    y = (x - mean) / np.sqrt(var + epsilon)
    if scale is not None:
        y = y * np.asarray(scale, dtype=np.float64)
    if shift is not None:
        y = y + np.asarray(shift, dtype=np.float64)
    return y


def rms_norm(x, epsilon=1e-5, scale=None):
    x = np.asarray(x, dtype=np.float64)
    y = x / np.sqrt((x ** 2).mean() + epsilon)
    return y if scale is None else y * np.asarray(scale, dtype=np.float64)


def grouped(norm, x, group, **kwargs):
    x = np.asarray(x, dtype=np.float64)
    return np.concatenate([norm(x[i:i + group], **kwargs) for i in range(0, len(x), group)])


def assert_row_close(actual, expected, what=""):
    """The Java tests' tolerance: 1e-12 relative to the row's largest output."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, what
    bound = 1e-12 * max(1.0, float(np.max(np.abs(expected))))
    assert np.all(np.abs(actual - expected) <= bound), "%s: %s vs %s" % (what, actual, expected)
