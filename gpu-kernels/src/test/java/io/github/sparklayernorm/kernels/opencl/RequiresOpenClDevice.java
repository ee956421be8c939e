package io.github.sparklayernorm.kernels.opencl;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A test class or method that needs an OpenCL device. Without one it is reported skipped on a
 * developer's machine, and fails under {@code CI=true}, where PoCL is installed and a missing
 * OpenCL is a broken set-up (see {@link OpenClDeviceCondition}). Works for JUnit tests and jqwik
 * properties alike: a property must not start and then reject every try.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(OpenClDeviceCondition.class)
@AddLifecycleHook(OpenClDeviceCondition.class)
public @interface RequiresOpenClDevice {
}
