// Whether bf16 actually runs faster than fp32 on this CPU. Having AVX512-BF16
// is not enough: on some Xeons its dot product has half the fp32 FMA
// throughput, so bf16 convs run slower. `--precision auto` asks this.
#pragma once

namespace resr::cpu {

// Times one RRDB-shaped conv (64 -> 64, 3x3, 64 x 64, blocked layout) in both
// precisions on all threads; true when bf16 is at least 10% faster. Measured
// once per process (a few tens of milliseconds), false without AVX512-BF16.
bool bf16_is_faster();

}  // namespace resr::cpu
