package io.ds4j.precision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/** Which type each copy gets per config and backend, and the bytes per element the ledger is told. */
class PrecisionPolicyTest {

    private static final Fp16Config FP16 = Fp16Config.enabled(true);
    private static final Fp16Config NO_FP16 = Fp16Config.defaults();
    private static final Bf16Config BF16 = new Bf16Config(true, false, true, false, false);
    private static final Bf16Config NO_BF16 = Bf16Config.defaults();

    private static PrecisionPolicy policy(Precision p, Precision c, Precision g, Precision comm) {
        return new PrecisionPolicy(p, c, g, comm, Precision.FP32);
    }

    @Test
    void fp32Training() {
        PrecisionPolicy p = PrecisionPolicy.choose(NO_FP16, NO_BF16, null, false);
        assertEquals(PrecisionPolicy.fp32(), p);
        assertEquals(p, PrecisionPolicy.choose(NO_FP16, NO_BF16, null, true));
        assertFalse(p.lossScaling());
        assertFalse(p.roundsInJava());
        // fp32: 4 bytes for the compute copy, 4 for gradients, 4 for masters, Adam's two fp32 moments 8
        assertEquals(4, p.paramBytes());
        assertEquals(4, p.gradBytes());
        assertEquals(4, p.communicationBytes());
        assertEquals(4, p.masterBytes());
        assertEquals(8, p.optimizerBytes(2));
    }

    @Test
    void fp16OnCpuComputesInFloatOnHalfValues() {
        PrecisionPolicy p = PrecisionPolicy.choose(FP16, NO_BF16, null, false);
        assertEquals(policy(Precision.FP16, Precision.FP32, Precision.FP16, Precision.FP16), p);
        assertTrue(p.lossScaling());
        assertTrue(p.roundsInJava());
        assertEquals(4, p.paramBytes()); // held as FLOAT on the CPU backend
        assertEquals(4, p.gradBytes());
        assertEquals(2, p.communicationBytes());
        assertEquals(4, p.masterBytes());
    }

    @Test
    @SuppressWarnings("deprecation") // DataType.HALF: the constant ND4J's half arrays report
    void fp16OnCudaComputesInHalf() {
        PrecisionPolicy p = PrecisionPolicy.choose(FP16, NO_BF16, null, true);
        assertEquals(policy(Precision.FP16, Precision.FP16, Precision.FP16, Precision.FP16), p);
        assertFalse(p.roundsInJava());
        assertEquals(DataType.HALF, p.compute().dataType());
        assertEquals(2, p.paramBytes());
        assertEquals(2, p.gradBytes());
        assertEquals(12, p.optimizerBytes(3));
    }

    @Test
    void bf16ComputesInFloatOnBothBackends() {
        for (boolean cuda : new boolean[] {false, true}) {
            PrecisionPolicy p = PrecisionPolicy.choose(NO_FP16, BF16, null, cuda);
            assertEquals(policy(Precision.BF16, Precision.FP32, Precision.BF16, Precision.BF16), p);
            assertFalse(p.lossScaling());
            assertTrue(p.roundsInJava());
            assertEquals(4, p.paramBytes());
            assertEquals(2, p.communicationBytes());
        }
    }

    @Test
    void communicationDataTypeOverridesTheDefault() {
        assertEquals(Precision.FP32, PrecisionPolicy.choose(FP16, NO_BF16, "fp32", false).communication());
        assertEquals(Precision.FP16, PrecisionPolicy.choose(NO_FP16, BF16, "FP16", false).communication());
        assertEquals(Precision.BF16, PrecisionPolicy.choose(NO_FP16, NO_BF16, "bf16", false).communication());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PrecisionPolicy.choose(FP16, NO_BF16, "fp8", false));
        assertTrue(e.getMessage().contains("communication_data_type") && e.getMessage().contains("\"fp8\""),
                e.getMessage());
    }

    @Test
    void unsupportedCombinationsAreRejectedWithTheKey() {
        IllegalArgumentException both = assertThrows(IllegalArgumentException.class,
                () -> PrecisionPolicy.choose(FP16, BF16, null, false));
        assertTrue(both.getMessage().contains("fp16.enabled") && both.getMessage().contains("bf16.enabled"));
        Fp16Config fp16Masters = new Fp16Config(true, false, 0, 16, 1000, 2, false, 1, true);
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> PrecisionPolicy.choose(fp16Masters, NO_BF16, null, false))
                .getMessage().contains("fp16.fp16_master_weights_and_grads"));
        Bf16Config bf16Masters = new Bf16Config(true, false, true, true, false);
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> PrecisionPolicy.choose(NO_FP16, bf16Masters, null, false))
                .getMessage().contains("bf16.bf16_master_weights_and_grads"));
        assertThrows(IllegalArgumentException.class,
                () -> policy(Precision.BF16, Precision.BF16, Precision.BF16, Precision.BF16));
        assertThrows(IllegalArgumentException.class,
                () -> new PrecisionPolicy(Precision.FP16, Precision.FP16, Precision.FP16, Precision.FP16,
                        Precision.FP16));
        assertThrows(IllegalArgumentException.class, () -> PrecisionPolicy.fp32().optimizerBytes(-1));
    }

    @Test
    void precisionTypes() {
        assertEquals(4, Precision.FP32.bytes());
        assertEquals(2, Precision.FP16.bytes());
        assertEquals(2, Precision.BF16.bytes());
        assertEquals(Precision.BF16, Precision.of(DataType.BFLOAT16));
        assertEquals(Precision.FP32, Precision.of(DataType.FLOAT));
        assertEquals(Precision.FP16, Precision.of(DataType.FLOAT16));
        assertThrows(IllegalArgumentException.class, () -> Precision.of(DataType.DOUBLE));
        // 1 + 2^-9 is a half (fraction bits 0x002) but not a bf16: it lies below 1 + 2^-8, the midpoint between the
        // bf16 neighbours 1 and 1 + 2^-7, so bf16 rounds it down to 1
        assertEquals(1f + 0x1p-9f, Precision.FP16.round(1f + 0x1p-9f));
        assertEquals(1f, Precision.BF16.round(1f + 0x1p-9f));
        assertEquals(1f + 0x1p-20f, Precision.FP32.round(1f + 0x1p-20f));
    }
}
