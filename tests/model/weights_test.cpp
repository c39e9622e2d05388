#include "model/weights.hpp"

#include <gtest/gtest.h>

namespace resr {
namespace {

std::map<std::string, Tensor> named(const std::vector<std::string>& names) {
  std::map<std::string, Tensor> tensors;
  float value = 0.0f;
  for (const std::string& name : names) tensors[name] = Tensor({1}, {value++});
  return tensors;
}

std::vector<std::string> keys_of(const std::map<std::string, Tensor>& tensors) {
  std::vector<std::string> keys;
  for (const auto& entry : tensors) keys.push_back(entry.first);
  return keys;
}

TEST(NormalizeStateDictKeys, StripsOnlyALeadingDataParallelPrefix) {
  const auto normalized = normalize_state_dict_keys(
      named({"module.conv_first.weight", "body.0.weight", "conv.module.weight"}));
  EXPECT_EQ(keys_of(normalized),
            (std::vector<std::string>{"body.0.weight", "conv.module.weight", "conv_first.weight"}));
  EXPECT_EQ(normalized.at("conv_first.weight").data[0], 0.0f);  // the tensor moves with its name
}

TEST(NormalizeStateDictKeys, LeavesBasicsrNamesAlone) {
  const std::vector<std::string> names = {"body.0.rdb1.conv1.weight", "conv_body.bias",
                                          "conv_first.weight", "conv_last.bias"};
  EXPECT_EQ(keys_of(normalize_state_dict_keys(named(names))), names);
}

TEST(NormalizeStateDictKeys, MapsOldEsrganX4Names) {
  // Three RRDBs: the trunk conv is sub.3.
  const auto normalized = normalize_state_dict_keys(named({
      "model.0.weight",
      "model.0.bias",                              //
      "model.1.sub.0.RDB1.conv1.0.weight",         //
      "model.1.sub.1.RDB2.conv5.0.bias",           //
      "module.model.1.sub.2.RDB3.conv3.0.weight",  //
      "model.1.sub.3.weight",
      "model.1.sub.3.bias",  //
      "model.3.weight",
      "model.6.bias",
      "model.8.weight",
      "model.10.bias",
  }));
  EXPECT_EQ(keys_of(normalized), (std::vector<std::string>{
                                     "body.0.rdb1.conv1.weight",
                                     "body.1.rdb2.conv5.bias",
                                     "body.2.rdb3.conv3.weight",
                                     "conv_body.bias",
                                     "conv_body.weight",
                                     "conv_first.bias",
                                     "conv_first.weight",
                                     "conv_hr.weight",
                                     "conv_last.bias",
                                     "conv_up1.weight",
                                     "conv_up2.bias",
                                 }));
  EXPECT_EQ(normalized.at("conv_body.weight").data[0], 5.0f);
}

TEST(NormalizeStateDictKeys, LeavesOldNamesWithoutABasicsrPlaceAlone) {
  // model.2/4/5/7/9 are parameter-free upsample and activation slots; a conv
  // directly under sub.N is the trunk only when N is the RRDB count (1 here).
  const std::vector<std::string> names = {"model.1.sub.0.RDB1.conv1.0.weight",
                                          "model.1.sub.5.weight", "model.5.weight", "model.7.bias"};
  EXPECT_EQ(keys_of(normalize_state_dict_keys(named(names))),
            (std::vector<std::string>{"body.0.rdb1.conv1.weight", "model.1.sub.5.weight",
                                      "model.5.weight", "model.7.bias"}));
}

// std::regex recurses per matched character: a key this long overflowed the stack.
TEST(NormalizeStateDictKeys, LeavesAHugeKeyAlone) {
  const std::string huge = "model." + std::string(200000, '1') + ".weight";
  const std::string dense = "model.1.sub." + std::string(200000, '1') + ".RDB1.conv1.0.weight";
  EXPECT_EQ(keys_of(normalize_state_dict_keys(named({huge, dense}))),
            (std::vector<std::string>{dense, huge}));
}

}  // namespace
}  // namespace resr
