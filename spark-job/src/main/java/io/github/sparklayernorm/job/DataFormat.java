package io.github.sparklayernorm.job;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.streaming.DataStreamReader;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/**
 * The file formats the job reads and writes, and what each can hold: Parquet and ORC hold Spark
 * ML vectors; JSON holds arrays but no vectors; CSV holds neither, so the job writes arrays there
 * as JSON text ("[1.0,2.0]") and reads such columns back as arrays.
 */
enum DataFormat {
    parquet, orc, json, csv;

    /** The file source's age limit for incremental runs: ten million days, older than any file. */
    static final String NO_FILE_AGE_LIMIT = "10000000d";

    /** A batch read of {@code path}; the {@code columns} to normalize come back as arrays from CSV. */
    Dataset<Row> read(SparkSession spark, String path, List<String> columns) {
        return arraysFromJson(batchReader(spark).load(path), columns);
    }

    /**
     * The files of {@code path} that the stream's checkpoint has not seen, as a stream in the
     * schema a batch read finds; at most {@code filesPerBatch} files per micro-batch, or all
     * when {@code null}.
     */
    Dataset<Row> readNewFiles(SparkSession spark, String path, List<String> columns, Integer filesPerBatch) {
        // The file source ignores files older, by modification time, than its maxFileAge (7 days) before
        // the newest it has seen: a file landed with its old time (cp -p, rsync -a, a restore) would be
        // skipped for ever. An age no file reaches keeps every new file.
        DataStreamReader reader = spark.readStream().format(name()).schema(batchReader(spark).load(path).schema())
                .option("maxFileAge", NO_FILE_AGE_LIMIT);
        if (this == csv) {
            reader = reader.option("header", "true");
        }
        if (filesPerBatch != null) {
            reader = reader.option("maxFilesPerTrigger", (long) filesPerBatch);
        }
        return arraysFromJson(reader.load(path), columns);
    }

    private DataFrameReader batchReader(SparkSession spark) {
        DataFrameReader reader = spark.read().format(name());
        return this == csv ? reader.option("header", "true").option("inferSchema", "true") : reader;
    }

    /** CSV has no arrays: the columns to normalize were written as JSON arrays, and are read back so. */
    private Dataset<Row> arraysFromJson(Dataset<Row> data, List<String> columns) {
        if (this == csv) {
            for (String col : columns) {
                if (data.schema().getFieldIndex(col).isDefined()
                        && data.schema().apply(col).dataType().equals(DataTypes.StringType)) {
                    data = data.withColumn(col, functions.from_json(functions.col(quoted(col)),
                            DataTypes.createArrayType(DataTypes.DoubleType)));
                }
            }
        }
        return data;
    }

    /** The rows as this format can hold them (vectors as arrays in JSON and CSV, arrays as JSON text in CSV). */
    Dataset<Row> writable(Dataset<Row> data) {
        Dataset<Row> flat = this == csv || this == json ? flatVectors(data) : data;
        return this == csv ? arraysAsJson(flat) : flat;
    }

    /** JSON and CSV cannot hold Spark ML vectors: they get arrays of doubles. */
    private static Dataset<Row> flatVectors(Dataset<Row> data) {
        List<Column> columns = new ArrayList<>();
        for (StructField field : data.schema().fields()) {
            Column column = functions.col(quoted(field.name()));
            if (field.dataType() instanceof VectorUDT) {
                column = org.apache.spark.ml.functions.vector_to_array(column, "float64").as(field.name());
            }
            columns.add(column);
        }
        return data.select(columns.toArray(new Column[0]));
    }

    private static Dataset<Row> arraysAsJson(Dataset<Row> data) {
        List<Column> columns = new ArrayList<>();
        for (StructField field : data.schema().fields()) {
            Column column = functions.col(quoted(field.name()));
            if (field.dataType() instanceof ArrayType) {
                column = functions.to_json(column).as(field.name());
            }
            columns.add(column);
        }
        return data.select(columns.toArray(new Column[0]));
    }

    private static String quoted(String name) {
        return "`" + name.replace("`", "``") + "`";
    }
}
