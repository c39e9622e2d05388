// libFuzzer entry point: load_safetensors on arbitrary bytes must return a
// value or an error, never crash, hang or allocate without bound.
#include <cstddef>
#include <cstdint>

#include "model/formats/safetensors_format.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)resr::load_safetensors({data, size}, "fuzz.safetensors");
  return 0;
}
