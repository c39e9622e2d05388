// libFuzzer entry point: load_onnx on arbitrary bytes must return a value or
// an error, never crash, hang or allocate without bound.
#include <cstddef>
#include <cstdint>

#include "model/formats/onnx/onnx_format.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)resr::looks_like_onnx({data, size});
  (void)resr::load_onnx({data, size}, "fuzz.onnx");
  return 0;
}
