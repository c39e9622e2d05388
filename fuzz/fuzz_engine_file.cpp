// libFuzzer entry point: an engine file whose body is the fuzzer's bytes and
// whose trailing SHA-256 is made to match, so the fuzzer gets past the
// checksum into the sizes, the JSON header, the graph, the blob index and the
// cpu backend's unpacking. load_engine must return a value or an error, never
// crash, hang or allocate without bound.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>

#include "core/sha256.hpp"
#include "engine/runnable_model.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/tmp/fuzz_engine_file." + std::to_string(::getpid());
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    out << resr::sha256_hex({data, size});
  }
  (void)resr::load_engine(path, {.threads = 1});
  return 0;
}
