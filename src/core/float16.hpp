// IEEE half precision, as model files store it, widened to float exactly
// (every half value is a float value).
#pragma once

#include <cstdint>

namespace resr {

// Infinities and NaN payloads are kept; subnormal halves become normal floats.
float float16_to_float(uint16_t bits);

}  // namespace resr
