// libFuzzer entry point: load_ncnn on arbitrary bytes must return a value or
// an error, never crash, hang or allocate without bound. The input is the
// .param text, a NUL byte, then the .bin (a seed: x.param + '\0' + x.bin);
// without a NUL it is all .param and the .bin is empty.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "model/formats/ncnn_format.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const void* nul = std::memchr(data, 0, size);
  const size_t param_size =
      nul ? static_cast<size_t>(static_cast<const uint8_t*>(nul) - data) : size;
  const std::string_view param(reinterpret_cast<const char*>(data), param_size);
  const size_t bin_offset = nul ? param_size + 1 : size;
  (void)resr::looks_like_ncnn_param({data, size});
  (void)resr::load_ncnn(param, {data + bin_offset, size - bin_offset}, "fuzz.param");
  return 0;
}
