package io.github.sparklayernorm.ml;

import io.github.sparklayernorm.kernels.LayerNormSpec;
import io.github.sparklayernorm.ml.param.ParamValidation;
import org.apache.spark.ml.param.DoubleArrayParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;

/**
 * Row-wise layer normalization of vector and array columns:
 * {@code y = scale * (x - mean(x)) / sqrt(var(x) + epsilon) + shift}, with the mean and the biased
 * variance taken over each row's own values (or each group of {@code groupSize} values), as
 * PyTorch's {@code nn.LayerNorm} and ONNX's {@code LayerNormalization} compute them. A row's output
 * depends on that row alone.
 *
 * <pre>{@code
 * LayerNormalizer ln = new LayerNormalizer()
 *     .setInputCol("features").setOutputCol("normalized")
 *     .setScale(gamma).setShift(beta);
 * Dataset<Row> out = ln.transform(df);
 * }</pre>
 *
 * <p>Reads {@code vector} (dense or sparse), {@code array<double>} and {@code array<float>}; the
 * output has the input's kind (vectors come out dense, float arrays are computed in double and
 * rounded once). Several columns can be normalized in one pass with {@link #setInputCols} and
 * {@link #setOutputCols}. Optional {@link #setMeanCol} and {@link #setInvStdDevCol} add ONNX's
 * Mean and InvStdDev outputs.
 */
public class LayerNormalizer extends RowNormalizer<LayerNormalizer> {

    private static final long serialVersionUID = 1L;

    public LayerNormalizer() {
        this(Identifiable.randomUID("layerNorm"));
    }

    public LayerNormalizer(String uid) {
        super(uid);
    }

    // ---- params, each in one block, as in RowNormalizer ----------------------------------------

    private final DoubleArrayParam shift = new DoubleArrayParam(this, "shift",
            "per-feature shift (beta) added last; all zeros when unset. When set, every row (every group,"
                    + " with groupSize) must have its length",
            ParamValidation.finiteNonEmptyArray());

    public DoubleArrayParam shift() {
        return shift;
    }

    /** The shift (a copy), or {@code null} when none is set (all zeros). */
    public double[] getShift() {
        return isDefined(shift) ? getOrDefault(shift).clone() : null;
    }

    /** The learned shift (beta), one value per feature; {@code null} clears it (all zeros). */
    public LayerNormalizer setShift(double[] value) {
        if (value == null) {
            clear(shift);
        } else {
            set(shift, checkedAffine("shift", value).clone());
        }
        return this;
    }

    private final Param<String> meanCol = new Param<>(this, "meanCol",
            "optional output column with each row's mean (ONNX's Mean): a double, or one per group with groupSize");

    public Param<String> meanCol() {
        return meanCol;
    }

    /** The column name, or {@code null} when unset. */
    public String getMeanCol() {
        return isDefined(meanCol) ? getOrDefault(meanCol) : null;
    }

    /** An output column for each row's mean (one value per group with groupSize). */
    public LayerNormalizer setMeanCol(String value) {
        set(meanCol, value);
        return this;
    }

    @Override
    protected String meanColumn() {
        return getMeanCol();
    }

    @Override
    protected LayerNormSpec spec() {
        return LayerNormSpec.of(getEpsilon(), getScale(), getShift());
    }

    @Override
    public LayerNormalizer copy(ParamMap extra) {
        return (LayerNormalizer) defaultCopy(extra);
    }

    public static MLReader<LayerNormalizer> read() {
        return new DefaultParamsReader<>();
    }

    public static LayerNormalizer load(String path) {
        return read().load(path);
    }
}
