// What the cpu backend's packed weights depend on: the instruction set oneDNN
// dispatches to on this machine (it picks weight layouts per ISA) and the
// oneDNN version (layouts may change between releases).
#pragma once

#include <string>

namespace resr::cpu {

bool cpu_has_bf16();
// e.g. "oneDNN 2.6.3 avx512_core_bf16".
std::string cpu_target();

}  // namespace resr::cpu
