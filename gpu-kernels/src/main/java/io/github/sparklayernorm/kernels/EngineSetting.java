package io.github.sparklayernorm.kernels;

import java.util.Locale;

/**
 * The engine's settings: each is a JVM system property ({@code sparklayernorm.auto.useCpuDevices})
 * or, where the property is unset, the environment variable of the same name in upper case with
 * words apart ({@code SPARKLAYERNORM_AUTO_USE_CPU_DEVICES}).
 *
 * <p>The environment variable is how a Spark cluster sets one on its executors
 * ({@code spark.executorEnv.SPARKLAYERNORM_AUTO_USE_CPU_DEVICES=true}): Spark refuses executor Java
 * options that contain {@code -Dspark}, and every property here starts with {@code sparklayernorm}.
 * Read at each use, so that tests may switch them.
 */
public final class EngineSetting {

    private EngineSetting() {
    }

    /** The environment variable that stands for {@code property}. */
    public static String environmentName(String property) {
        return property.replaceAll("([a-z0-9])([A-Z])", "$1_$2").replace('.', '_').toUpperCase(Locale.ROOT);
    }

    /** The setting's value: the system property, else its environment variable, else {@code fallback}. */
    public static String get(String property, String fallback) {
        String value = System.getProperty(property);
        if (value == null) {
            value = System.getenv(environmentName(property));
        }
        return value == null ? fallback : value.trim();
    }

    /** Whether the setting is {@code true} (any case). */
    public static boolean flag(String property) {
        return Boolean.parseBoolean(get(property, "false"));
    }

    /** The setting as an int, or {@code fallback} when unset or not a number. */
    public static int integer(String property, int fallback) {
        try {
            return Integer.parseInt(get(property, String.valueOf(fallback)));
        } catch (NumberFormatException e) {
            return fallback;
        }
    }
}
