#include "model/weights.hpp"

#include <regex>
#include <set>

namespace resr {

namespace {

// nn.DataParallel prefixes every parameter with its wrapped `module`.
constexpr std::string_view kDataParallelPrefix = "module.";

// Old ESRGAN (before basicsr) built RRDBNet x4 as one nn.Sequential `model`
// through a helper that flattens nested Sequentials and drops absent parts:
//   0  conv_block(in, nf), no activation: a lone conv       -> conv_first
//   1  ShortcutBlock whose `sub` is Sequential(N RRDBs, conv_block(nf, nf)):
//        sub.0..sub.N-1 are RRDBs; each RDB{1,2,3}.conv{1..5} is a
//        conv_block kept as a Sequential (conv, LeakyReLU), hence `.0`
//                                                           -> body.i.rdbK.convJ
//        sub.N is the trunk conv, flattened into `sub`       -> conv_body
//   2  Upsample, 3 conv, 4 LeakyReLU  (first 2x upconv_block) -> conv_up1 = 3
//   5  Upsample, 6 conv, 7 LeakyReLU  (second 2x upconv_block) -> conv_up2 = 6
//   8  conv, 9 LeakyReLU  (HR_conv0, with activation)        -> conv_hr = 8
//   10 conv  (HR_conv1, no activation)                       -> conv_last = 10
// Old x2/x3 models have one upsampling block, so their indices differ and the
// basicsr RRDBNet has no place for them: they stay unmapped.
const std::regex kOldDenseConv(
    R"(model\.1\.sub\.(\d+)\.RDB([123])\.conv([1-5])\.0\.(weight|bias))");
const std::regex kOldTrunkConv(R"(model\.1\.sub\.(\d+)\.(weight|bias))");
const std::regex kOldOuterConv(R"(model\.(\d+)\.(weight|bias))");
// std::regex recurses once per character it matches, so a key of some 100 000
// digits ("model.111...") from a hostile file would overflow the stack. Old
// ESRGAN names are short; longer keys are left as they are, unmatched.
constexpr size_t kMaxOldKeyLength = 128;

std::string old_outer_conv_name(const std::string& index) {
  if (index == "0") return "conv_first";
  if (index == "3") return "conv_up1";
  if (index == "6") return "conv_up2";
  if (index == "8") return "conv_hr";
  if (index == "10") return "conv_last";
  return "";
}

std::string basicsr_name(const std::string& key, size_t rrdb_blocks) {
  if (key.size() > kMaxOldKeyLength) return key;
  std::smatch match;
  if (std::regex_match(key, match, kOldDenseConv)) {
    return "body." + match.str(1) + ".rdb" + match.str(2) + ".conv" + match.str(3) + "." +
           match.str(4);
  }
  // The trunk conv follows the RRDBs, so its index is their count.
  if (std::regex_match(key, match, kOldTrunkConv) && match.str(1) == std::to_string(rrdb_blocks)) {
    return "conv_body." + match.str(2);
  }
  if (std::regex_match(key, match, kOldOuterConv)) {
    const std::string name = old_outer_conv_name(match.str(1));
    if (!name.empty()) return name + "." + match.str(2);
  }
  return key;
}

}  // namespace

std::map<std::string, Tensor> normalize_state_dict_keys(std::map<std::string, Tensor> tensors) {
  std::map<std::string, Tensor> unprefixed;
  for (auto& [key, tensor] : tensors) {
    const bool prefixed = key.starts_with(kDataParallelPrefix);
    unprefixed.emplace(prefixed ? key.substr(kDataParallelPrefix.size()) : key, std::move(tensor));
  }

  std::set<std::string> rrdb_indices;
  std::smatch match;
  for (const auto& entry : unprefixed) {
    if (entry.first.size() <= kMaxOldKeyLength &&
        std::regex_match(entry.first, match, kOldDenseConv)) {
      rrdb_indices.insert(match.str(1));
    }
  }

  std::map<std::string, Tensor> normalized;
  for (auto& [key, tensor] : unprefixed) {
    normalized.emplace(basicsr_name(key, rrdb_indices.size()), std::move(tensor));
  }
  return normalized;
}

}  // namespace resr
