// --precision auto never picks bf16 where the backend cannot run it natively,
// nor where it runs slower than fp32.
#include <gtest/gtest.h>

#include "backend/cpu/cpu_backend.hpp"
#include "backend/cpu/cpu_target.hpp"
#include "backend/reference/reference_backend.hpp"
#include "engine/runnable_model.hpp"

namespace resr {
namespace {

TEST(ChoosePrecision, AutoPicksBf16OnlyWhereTheBackendRunsIt) {
  const auto reference = make_reference_backend();
  EXPECT_EQ(*choose_precision(*reference, "auto"), Precision::kFp32);
  EXPECT_EQ(*choose_precision(*reference, "fp32"), Precision::kFp32);
  auto refused = choose_precision(*reference, "bf16");
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kUnsupported);
  EXPECT_NE(refused.status().message().find("use fp32 or auto"), std::string::npos);

  const auto cpu = make_cpu_backend();
  EXPECT_EQ(cpu->supports(Precision::kBf16), cpu::cpu_has_bf16());
  EXPECT_EQ(*choose_precision(*cpu, "auto"), cpu->fastest_precision());
  if (!cpu::cpu_has_bf16()) {
    EXPECT_EQ(cpu->fastest_precision(), Precision::kFp32);
  }
  EXPECT_EQ(choose_precision(*cpu, "fp16").status().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace resr
