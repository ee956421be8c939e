package io.github.sparklayernorm.kernels.opencl;

import com.aparapi.Kernel;

/**
 * The simulator check's negative control: each work-item writes its slot of local memory and reads
 * its neighbour's with no barrier between, a race that a GPU punishes (the neighbour may not have
 * written yet) and PoCL's CPU device forgives. An OpenCL simulator must report it.
 */
final class RacyKernel extends Kernel {

    static final int SIZE = 64;

    @Local
    int[] shared = new int[SIZE];
    int[] out = new int[SIZE];

    @Override
    public void run() {
        int lid = getLocalId();
        shared[lid] = lid + 1;
        out[getGlobalId()] = shared[(lid + 1) % getLocalSize()];
    }
}
