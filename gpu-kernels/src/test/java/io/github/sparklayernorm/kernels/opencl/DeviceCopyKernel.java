package io.github.sparklayernorm.kernels.opencl;

import com.aparapi.Kernel;

/**
 * The limit the GPU check holds the kernels to: a device kernel that copies the same values from
 * one device buffer to another, one work-item per value (every load and store coalesced).
 */
final class DeviceCopyKernel extends Kernel {
    double[] inD = new double[1];
    double[] outD = new double[1];
    float[] inF = new float[1];
    float[] outF = new float[1];
    int useFloat;
    int n;

    @Override
    public void run() {
        int i = getGlobalId();
        if (i < n) {
            if (useFloat == 1) {
                outF[i] = inF[i];
            } else {
                outD[i] = inD[i];
            }
        }
    }
}
