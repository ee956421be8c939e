package io.github.sparklayernorm.ml.exec;

import io.github.sparklayernorm.ml.exec.internal.CellIsValid;
import io.github.sparklayernorm.ml.exec.internal.NormalizeCell;
import io.github.sparklayernorm.ml.exec.internal.SparkInternals;
import io.github.sparklayernorm.ml.plan.ColumnBinding;
import io.github.sparklayernorm.ml.plan.NormalizationPlan;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructField;

/**
 * The expression path ({@link ExecutionPath#EXPRESSION}): the stage as a projection of Catalyst
 * expressions over its input, one {@link NormalizeCell} per output column, preceded under
 * {@code skip} by one filter of {@link CellIsValid}s, one per input column, in column order (a row
 * counts once, under its first invalid column).
 */
public final class CellPath {

    private CellPath() {
    }

    public static Dataset<Row> apply(Dataset<Row> input, String stage, NormalizationPlan plan,
                                     HandleInvalid handleInvalid, NormalizerMetrics metrics) {
        List<ColumnBinding> bindings = plan.bindings();
        CellNormalizer[] normalizers = new CellNormalizer[bindings.size()];
        for (int c = 0; c < normalizers.length; c++) {
            normalizers[c] = new CellNormalizer(stage, bindings.get(c), plan.spec(), plan.rowLength(), handleInvalid,
                    metrics, c == 0);
        }
        Dataset<Row> frame = input;
        if (handleInvalid == HandleInvalid.SKIP) {
            Column valid = null;
            for (int c = 0; c < normalizers.length; c++) {
                Column cell = SparkInternals.column(new CellIsValid(
                        SparkInternals.expression(frame.col(quoted(bindings.get(c).inputName()))), normalizers[c]));
                valid = valid == null ? cell : valid.and(cell);
            }
            frame = frame.filter(valid);
        }
        StructField[] outputs = plan.outputSchema().fields();
        List<Column> columns = new ArrayList<>();
        for (String name : frame.columns()) {
            columns.add(frame.col(quoted(name)));
        }
        for (int c = 0; c < normalizers.length; c++) {
            // The output field of the plan: its name, and its metadata (a vector's size).
            StructField field = outputs[plan.inputWidth() + c];
            columns.add(SparkInternals.column(new NormalizeCell(
                    SparkInternals.expression(frame.col(quoted(bindings.get(c).inputName()))), normalizers[c]))
                    .as(field.name(), field.metadata()));
        }
        return frame.select(columns.toArray(new Column[0]));
    }

    /** A column name as {@code Dataset.col} takes it literally (dots and backticks included). */
    private static String quoted(String name) {
        return "`" + name.replace("`", "``") + "`";
    }
}
