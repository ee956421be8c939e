package io.github.sparklayernorm.ml;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import org.apache.spark.ml.Transformer;
import org.junit.jupiter.api.Test;

/**
 * A Spark Connect server loads third-party stages only if ServiceLoader finds them as
 * {@code org.apache.spark.ml.Transformer}s, makes them with a {@code (String uid)} constructor and
 * loads them with a static {@code load(String)}.
 */
class ConnectRegistrationTest {

    @Test
    void bothStagesAreRegisteredAsTransformers() {
        List<String> found = new ArrayList<>();
        for (ServiceLoader.Provider<Transformer> provider : ServiceLoader.load(Transformer.class).stream()
                .collect(java.util.stream.Collectors.toList())) {
            if (provider.type().getName().startsWith("io.github.sparklayernorm.")) {
                found.add(provider.type().getName());
                // The server instantiates every entry (one that fails breaks every ML call on it), makes
                // stages with the (String uid) constructor and loads them with a static load(String).
                Transformer stage = provider.get();
                assertFalse(stage.uid().isEmpty(), provider.type().getName());
                assertEquals("custom-uid", assertDoesNotThrow(() -> provider.type().getConstructor(String.class)
                        .newInstance("custom-uid")).uid());
                java.lang.reflect.Method load = assertDoesNotThrow(() -> provider.type().getMethod("load", String.class));
                assertTrue(java.lang.reflect.Modifier.isStatic(load.getModifiers())
                        && provider.type().isAssignableFrom(load.getReturnType()), load.toString());
            }
        }
        assertEquals(List.of(LayerNormalizer.class.getName(), RmsNormalizer.class.getName()), found);
    }

    @Test
    void eachStageHasAUidConstructorAndAStaticLoad() throws Exception {
        for (Class<?> stage : new Class<?>[] {LayerNormalizer.class, RmsNormalizer.class}) {
            Object made = stage.getConstructor(String.class).newInstance("myUid");
            assertEquals("myUid", ((Transformer) made).uid());
            Method load = stage.getMethod("load", String.class);
            assertTrue(Modifier.isStatic(load.getModifiers()) && stage.isAssignableFrom(load.getReturnType()));
        }
    }
}
