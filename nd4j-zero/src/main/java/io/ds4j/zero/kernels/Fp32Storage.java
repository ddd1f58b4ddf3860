package io.ds4j.zero.kernels;

/** fp32 storage, the only kind allowed for the master weights and the optimizer state. */
public sealed interface Fp32Storage extends VectorStorage permits HeapFp32, BufferFp32 {
}
