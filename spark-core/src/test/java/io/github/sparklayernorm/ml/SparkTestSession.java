package io.github.sparklayernorm.ml;

import org.apache.spark.sql.SparkSession;

/** One local Spark session for all tests of the JVM: starting Spark takes seconds. */
final class SparkTestSession {

    private static SparkSession session;

    static synchronized SparkSession get() {
        if (session == null) {
            session = SparkSession.builder()
                    .master("local[2]")
                    .appName("spark-layernorm-tests")
                    .config("spark.ui.enabled", "false")
                    .config("spark.sql.shuffle.partitions", "4")
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1")
                    .getOrCreate();
            session.sparkContext().setLogLevel("WARN");
        }
        return session;
    }

    private SparkTestSession() {
    }
}
