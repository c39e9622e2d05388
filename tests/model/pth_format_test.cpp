// load_pth against checkpoints written by real torch.save, and against broken
// files built to trip one check each.
#include "model/formats/pth/pth_format.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "model/formats/pth/zip_archive.hpp"
#include "model/formats/safetensors_format.hpp"
#include "support/format_fixtures.hpp"

namespace resr {
namespace {

using testing::expect_tensors_of;
using testing::expected_formats;
using testing::read_format_fixture;

Result<LoadedWeights> load_fixture(const std::string& name) {
  return load_pth(read_format_fixture(name), name);
}

class ValidCheckpoint : public ::testing::TestWithParam<std::string> {};

TEST_P(ValidCheckpoint, LoadsExactlyWhatTorchSaved) {
  const std::string name = GetParam();
  Result<LoadedWeights> weights = load_fixture(name);
  ASSERT_TRUE(weights.is_ok()) << weights.status().message();
  EXPECT_EQ(weights->format, "pth");
  EXPECT_FALSE(weights->activation.has_value());
  expect_tensors_of(name, *weights);
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, ValidCheckpoint,
    ::testing::Values(
        "state_dict_fp32.pth",  // a module's state_dict, _metadata and an int64 buffer
        "protocol4.pth",        // SHORT_BINUNICODE, MEMOIZE, FRAME, STACK_GLOBAL
        "params_ema_fp16.pth",  // params_ema wins over params, even when params comes first
        "params_only.pth",      // params, beside a non-dict entry
        "module_prefix.pth",    // DataParallel's module. prefix stripped
        "views.pth",  // transposed, sliced, offset, strided, broadcast, 0-d, empty, tied, Parameter
        "dtypes.pth",      // float16, bfloat16, float64, non-finite values; non-weights skipped
        "old_esrgan.pth",  // model.N / model.1.sub.N.RDBk.convj.0 names mapped to basicsr
        "deflated.pth",    // entries compressed by a re-zip
        "zip64.pth"),      // zip64 extra fields and end records
    [](const ::testing::TestParamInfo<std::string>& info) {
      return info.param.substr(0, info.param.find('.'));
    });

TEST(PthFormat, KeepsNonFiniteValuesForTheArchitectureToJudge) {
  Result<LoadedWeights> weights = load_fixture("dtypes.pth");
  ASSERT_TRUE(weights.is_ok()) << weights.status().message();
  const std::vector<float>& values = weights->tensors.at("nonfinite").data;
  EXPECT_EQ(values[0], INFINITY);
  EXPECT_EQ(values[1], -INFINITY);
  EXPECT_TRUE(std::isnan(values[2]));
  EXPECT_TRUE(std::signbit(values[3]));
}

TEST(PthFormat, RecognisesCheckpointsByContent) {
  EXPECT_TRUE(looks_like_pth(read_format_fixture("state_dict_fp32.pth")));
  // Legacy files too, so that load_pth can explain how to convert them.
  EXPECT_TRUE(looks_like_pth(read_format_fixture("legacy.pth")));
  EXPECT_FALSE(looks_like_pth(read_format_fixture("basic.safetensors")));
  EXPECT_FALSE(looks_like_pth({}));
  EXPECT_FALSE(looks_like_safetensors(read_format_fixture("state_dict_fp32.pth")));
}

struct BrokenCheckpoint {
  std::string file;
  std::vector<std::string> message_parts;
};

class BrokenCheckpointTest : public ::testing::TestWithParam<BrokenCheckpoint> {};

TEST_P(BrokenCheckpointTest, IsRefusedWithAMessageNamingFileAndProblem) {
  const BrokenCheckpoint& broken = GetParam();
  Result<LoadedWeights> weights = load_fixture(broken.file);
  ASSERT_FALSE(weights.is_ok());
  EXPECT_EQ(weights.status().code(), ErrorCode::kInvalidModel);
  const std::string& message = weights.status().message();
  EXPECT_NE(message.find("PyTorch checkpoint '" + broken.file + "'"), std::string::npos) << message;
  for (const std::string& part : broken.message_parts) {
    EXPECT_NE(message.find(part), std::string::npos) << "'" << part << "' not in: " << message;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, BrokenCheckpointTest,
    ::testing::Values(
        BrokenCheckpoint{"legacy.pth",
                         {"legacy PyTorch serialization is not supported",
                          "_use_new_zipfile_serialization=True"}},
        BrokenCheckpoint{
            "evil_global.pth",
            {"pickle byte 2", "disallowed global 'os.system'", "nothing was executed"}},
        BrokenCheckpoint{"no_data_pkl.pth", {"no data.pkl", "not a PyTorch checkpoint"}},
        BrokenCheckpoint{"storage_out_of_range.pth",
                         {"tensor 'weight'", "shape [100]", "4 elements", "storage out of range"}},
        BrokenCheckpoint{"truncated_storage.pth",
                         {"tensor 'weight'", "storage '0' holds 8 bytes", "says 16"}},
        BrokenCheckpoint{"crc_mismatch.pth", {"'params_only/data/0'", "CRC-32 mismatch"}},
        BrokenCheckpoint{"big_endian.pth", {"'big'-endian", "only little-endian"}},
        BrokenCheckpoint{"not_a_dict.pth", {"no dict of tensors"}},
        BrokenCheckpoint{"nested_weights.pth",
                         {"no floating-point tensors (its keys: 'model', 'epoch')",
                          "under 'params_ema' or 'params'"}},
        BrokenCheckpoint{"inflation_claim.pth",
                         {"claims 1000000000 bytes", "deflate cannot produce"}}),
    [](const ::testing::TestParamInfo<BrokenCheckpoint>& info) {
      return info.param.file.substr(0, info.param.file.find('.'));
    });

TEST(PthFormat, NamesTheOffsetOfAnUnknownOpcode) {
  const int offset = expected_formats().at("bad_opcode.pth").at("offset").get<int>();
  Result<LoadedWeights> weights = load_fixture("bad_opcode.pth");
  ASSERT_FALSE(weights.is_ok());
  EXPECT_EQ(weights.status().code(), ErrorCode::kInvalidModel);
  EXPECT_NE(weights.status().message().find("data.pkl: pickle byte " + std::to_string(offset) +
                                            ": unknown pickle opcode 0xff"),
            std::string::npos)
      << weights.status().message();
}

TEST(PthFormat, RefusesAnEmptyFile) {
  Result<LoadedWeights> weights = load_pth({}, "empty.pth");
  ASSERT_FALSE(weights.is_ok());
  EXPECT_EQ(weights.status().code(), ErrorCode::kInvalidModel);
  EXPECT_NE(weights.status().message().find("'empty.pth': not a PyTorch checkpoint"),
            std::string::npos)
      << weights.status().message();
}

TEST(PthFormat, SaysTruncatedWhereverTheFileIsCut) {
  const std::vector<uint8_t> bytes = read_format_fixture("state_dict_fp32.pth");
  for (size_t size : {size_t{4}, size_t{30}, size_t{100}, bytes.size() / 2, bytes.size() - 23,
                      bytes.size() - 1}) {
    Result<LoadedWeights> weights =
        load_pth(std::span<const uint8_t>(bytes).first(size), "cut.pth");
    ASSERT_FALSE(weights.is_ok()) << size;
    EXPECT_EQ(weights.status().code(), ErrorCode::kInvalidModel) << size;
    EXPECT_NE(weights.status().message().find("truncated"), std::string::npos)
        << size << ": " << weights.status().message();
  }
}

TEST(PthFormat, EveryPrefixIsRefused) {
  const std::vector<uint8_t> bytes = read_format_fixture("state_dict_fp32.pth");
  for (size_t size = 0; size < bytes.size(); ++size) {
    Result<LoadedWeights> weights =
        load_pth(std::span<const uint8_t>(bytes).first(size), "cut.pth");
    ASSERT_FALSE(weights.is_ok()) << size;
    ASSERT_EQ(weights.status().code(), ErrorCode::kInvalidModel) << size;
  }
}

// Every single-byte corruption is either caught or harmless; none crashes.
TEST(PthFormat, EveryFlippedByteLoadsOrIsRefused) {
  std::vector<uint8_t> bytes = read_format_fixture("state_dict_fp32.pth");
  for (size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] ^= 0xff;
    Result<LoadedWeights> weights = load_pth(bytes, "flipped.pth");
    if (!weights.is_ok()) {
      ASSERT_EQ(weights.status().code(), ErrorCode::kInvalidModel) << i;
    }
    bytes[i] ^= 0xff;
  }
}

TEST(ZipArchive, ReadsTheCentralDirectoryOfATorchArchive) {
  const std::vector<uint8_t> bytes = read_format_fixture("params_only.pth");
  Result<ZipArchive> archive = ZipArchive::open(bytes);
  ASSERT_TRUE(archive.is_ok()) << archive.status().message();
  std::vector<std::string> names;
  for (const ZipEntry& entry : archive->entries()) names.push_back(entry.name);
  EXPECT_EQ(names, (std::vector<std::string>{"params_only/data.pkl", "params_only/data/0",
                                             "params_only/data/1", "params_only/version"}));
  const ZipEntry* version = archive->find("params_only/version");
  ASSERT_NE(version, nullptr);
  Result<ZipEntryBytes> content = archive->read(*version);
  ASSERT_TRUE(content.is_ok()) << content.status().message();
  const std::span<const uint8_t> text = content->bytes();
  EXPECT_EQ(std::string(text.begin(), text.end()), "3\n");
  EXPECT_EQ(archive->find("params_only/missing"), nullptr);
}

}  // namespace
}  // namespace resr
