#include "server/server_config.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "core/scratch_directory.hpp"

namespace resr {
namespace {

class ServerConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = ScratchDirectory::create("resr-server-config");
    ASSERT_TRUE(dir.is_ok()) << dir.status().message();
    dir_.emplace(std::move(dir).value());
  }

  std::filesystem::path write_toml(const std::string& text) {
    const std::filesystem::path file = dir_->path() / "server.toml";
    std::ofstream(file) << text;
    return file;
  }

  // The message of the error `load_server_config` must return.
  std::string load_error(const std::string& toml, const Environment& env = {}) {
    auto config = load_server_config(toml.empty() ? "" : write_toml(toml), env);
    if (config.is_ok()) {
      ADD_FAILURE() << "loaded without an error";
      return "";
    }
    EXPECT_EQ(config.status().code(), ErrorCode::kInvalidArgument);
    return config.status().message();
  }

  std::optional<ScratchDirectory> dir_;
};

TEST_F(ServerConfigTest, DefaultsWithoutFileOrEnvironment) {
  auto config = load_server_config("", {});
  ASSERT_TRUE(config.is_ok()) << config.status().message();
  EXPECT_EQ(config->host, "127.0.0.1");
  EXPECT_EQ(config->port, 8080);
  EXPECT_EQ(config->model, "realesrgan-x4plus");
  EXPECT_TRUE(config->engine.empty());
  EXPECT_EQ(config->backend, "cpu");
  EXPECT_EQ(config->threads, 0);
  EXPECT_TRUE(config->token.empty());
  EXPECT_EQ(config->result_ttl_seconds, 3600);
  EXPECT_EQ(config->max_upload_bytes, 50 << 20);
  EXPECT_EQ(config->image_limits.max_input_pixels, ImageLimits{}.max_input_pixels);
  EXPECT_EQ(config->image_limits.max_output_pixels, ImageLimits{}.max_output_pixels);
  EXPECT_EQ(config->max_queue, 64);
  EXPECT_EQ(config->tile_size, 0);
  EXPECT_FALSE(config->url_fetch.allow_private_addresses);
  EXPECT_EQ(config->url_fetch.max_redirects, 3);
  EXPECT_EQ(config->url_fetch.max_bytes, config->max_upload_bytes);
  EXPECT_EQ(config->effective_pid_file(), config->data_dir / "server.pid");
}

TEST_F(ServerConfigTest, FileOverridesDefaultsAndEnvironmentOverridesFile) {
  const auto file = write_toml(R"(
host = "0.0.0.0"
port = 9000
token = "from-file"
max_upload_bytes = "10MiB"
max_input_pixels = 1000000
tile_memory = 268435456
pid_file = "/run/resr.pid"

[url_fetch]
allow_private_addresses = true
max_redirects = 1
)");
  const Environment env = {{"REAL_ESRGAN_SERVE_PORT", "9100"},
                           {"REAL_ESRGAN_SERVE_TOKEN", "from-env"},
                           {"REAL_ESRGAN_SERVE_URL_FETCH_MAX_REDIRECTS", "0"},
                           {"REAL_ESRGAN_SERVE_MAX_QUEUE", "5"},
                           {"UNRELATED_PORT", "1"}};
  auto config = load_server_config(file, env);
  ASSERT_TRUE(config.is_ok()) << config.status().message();
  EXPECT_EQ(config->host, "0.0.0.0");
  EXPECT_EQ(config->port, 9100);
  EXPECT_EQ(config->token, "from-env");
  EXPECT_EQ(config->max_upload_bytes, 10 << 20);
  EXPECT_EQ(config->image_limits.max_input_pixels, 1'000'000);
  EXPECT_EQ(config->tile_memory_bytes, 256 << 20);
  EXPECT_EQ(config->effective_pid_file(), "/run/resr.pid");
  EXPECT_TRUE(config->url_fetch.allow_private_addresses);
  EXPECT_EQ(config->url_fetch.max_redirects, 0);
  EXPECT_EQ(config->max_queue, 5);
  // Not set anywhere: follows the upload cap.
  EXPECT_EQ(config->url_fetch.max_bytes, 10 << 20);
}

TEST_F(ServerConfigTest, EnvironmentParsesBooleansAndByteSizes) {
  const Environment env = {{"REAL_ESRGAN_SERVE_URL_FETCH_ALLOW_PRIVATE_ADDRESSES", "yes"},
                           {"REAL_ESRGAN_SERVE_URL_FETCH_MAX_BYTES", "2M"},
                           {"REAL_ESRGAN_SERVE_MAX_UPLOAD_BYTES", "1000"}};
  auto config = load_server_config("", env);
  ASSERT_TRUE(config.is_ok()) << config.status().message();
  EXPECT_TRUE(config->url_fetch.allow_private_addresses);
  EXPECT_EQ(config->url_fetch.max_bytes, 2 << 20);
  EXPECT_EQ(config->max_upload_bytes, 1000);
}

TEST_F(ServerConfigTest, UnknownFileKeyNamesLineAndSuggestsTheRightOne) {
  const std::string message = load_error("host = \"::1\"\nprot = 80\n");
  EXPECT_NE(message.find("unknown server setting 'prot'"), std::string::npos) << message;
  EXPECT_NE(message.find("server.toml:2"), std::string::npos) << message;
  EXPECT_NE(message.find("did you mean 'port'?"), std::string::npos) << message;
}

TEST_F(ServerConfigTest, UnknownKeyInsideTableAndUnknownTable) {
  std::string message = load_error("[url_fetch]\nmax_redirect = 2\n");
  EXPECT_NE(message.find("'url_fetch.max_redirect'"), std::string::npos) << message;
  EXPECT_NE(message.find("did you mean 'url_fetch.max_redirects'?"), std::string::npos) << message;
  message = load_error("[limits]\nmax_queue = 2\n");
  EXPECT_NE(message.find("unknown server setting 'limits'"), std::string::npos) << message;
}

TEST_F(ServerConfigTest, UnknownPrefixedEnvironmentVariableSuggestsTheRightOne) {
  const std::string message = load_error("", {{"REAL_ESRGAN_SERVE_PROT", "80"}});
  EXPECT_NE(message.find("unknown environment variable REAL_ESRGAN_SERVE_PROT"), std::string::npos)
      << message;
  EXPECT_NE(message.find("did you mean 'REAL_ESRGAN_SERVE_PORT'?"), std::string::npos) << message;
}

TEST_F(ServerConfigTest, WrongTypesNameKeySourceAndExpectation) {
  EXPECT_EQ(load_error("port = \"8080\"\n"),
            "server setting 'port' (" + (dir_->path() / "server.toml").string() +
                ":1): expected an integer from 0 to 65535, got '8080'");
  std::string message = load_error("\n\nhost = 1\n");
  EXPECT_NE(message.find("server.toml:3): expected a string, got 1"), std::string::npos) << message;
  message = load_error("url_fetch.allow_private_addresses = \"true\"\n");
  EXPECT_NE(message.find("expected true or false, got 'true'"), std::string::npos) << message;
  message = load_error("max_queue = 2.5\n");
  EXPECT_NE(message.find("'max_queue'"), std::string::npos) << message;
  message = load_error("token = [\"a\"]\n");
  EXPECT_NE(message.find("expected a string, got ['a']"), std::string::npos) << message;
  message = load_error("token = [1, \"a\"]\n");
  EXPECT_NE(message.find("expected a single value, got an array"), std::string::npos) << message;
  message = load_error("url_fetch.allowed_addresses = \"10.0.0.1\"\n");
  EXPECT_NE(message.find("expected an array of strings, got '10.0.0.1'"), std::string::npos)
      << message;
}

TEST_F(ServerConfigTest, OutOfRangeValuesAreRefused) {
  EXPECT_EQ(load_error("", {{"REAL_ESRGAN_SERVE_PORT", "70000"}}),
            "server setting 'port' (environment variable REAL_ESRGAN_SERVE_PORT): expected an "
            "integer from 0 to 65535, got '70000'");
  EXPECT_NE(load_error("", {{"REAL_ESRGAN_SERVE_PORT", "80x"}}).find("got '80x'"),
            std::string::npos);
  EXPECT_NE(load_error("max_upload_bytes = -5\n").find("expected a byte size > 0"),
            std::string::npos);
  EXPECT_NE(load_error("", {{"REAL_ESRGAN_SERVE_MAX_UPLOAD_BYTES", "lots"}})
                .find("expected a byte size > 0 (e.g. 52428800, \"50MiB\" or \"2G\"), got 'lots'"),
            std::string::npos);
  EXPECT_NE(load_error("max_queue = 0\n").find("expected an integer from 1 to 1000000, got 0"),
            std::string::npos);
  EXPECT_NE(load_error("threads = -1\n").find("got -1"), std::string::npos);
  EXPECT_NE(load_error("host = \"\"\n").find("expected a non-empty string"), std::string::npos);
  EXPECT_NE(load_error("", {{"REAL_ESRGAN_SERVE_URL_FETCH_ALLOW_PRIVATE_ADDRESSES", "maybe"}})
                .find("expected true/false, 1/0, yes/no or on/off, got 'maybe'"),
            std::string::npos);
}

TEST_F(ServerConfigTest, AllowedAddressesAreCanonicalIpLiterals) {
  auto config = load_server_config(
      write_toml("[url_fetch]\nallowed_addresses = [\"10.0.0.7\", \"0:0::1\"]\n"), {});
  ASSERT_TRUE(config.is_ok()) << config.status().message();
  EXPECT_EQ(config->url_fetch.allowed_addresses, (std::vector<std::string>{"10.0.0.7", "::1"}));

  config = load_server_config(
      "", {{"REAL_ESRGAN_SERVE_URL_FETCH_ALLOWED_ADDRESSES", " 192.168.1.5 ,fd00::5,"}});
  ASSERT_TRUE(config.is_ok()) << config.status().message();
  EXPECT_EQ(config->url_fetch.allowed_addresses,
            (std::vector<std::string>{"192.168.1.5", "fd00::5"}));

  config = load_server_config(write_toml("url_fetch.allowed_addresses = []\n"), {});
  ASSERT_TRUE(config.is_ok()) << config.status().message();
  EXPECT_TRUE(config->url_fetch.allowed_addresses.empty());

  EXPECT_NE(load_error("", {{"REAL_ESRGAN_SERVE_URL_FETCH_ALLOWED_ADDRESSES", "10.0.0.1,intranet"}})
                .find("server setting 'url_fetch.allowed_addresses' (environment variable "
                      "REAL_ESRGAN_SERVE_URL_FETCH_ALLOWED_ADDRESSES): expected IP addresses"),
            std::string::npos);
}

TEST_F(ServerConfigTest, UnknownBackendListsTheKnownOnes) {
  const std::string message = load_error("backend = \"tpu\"\n");
  EXPECT_NE(message.find("expected one of: "), std::string::npos) << message;
  EXPECT_NE(message.find("cpu"), std::string::npos) << message;
}

TEST_F(ServerConfigTest, PrecisionAndSrvggActivationAreChoices) {
  auto config = load_server_config(write_toml("precision = \"bf16\"\n"),
                                   {{"REAL_ESRGAN_SERVE_SRVGG_ACTIVATION", "relu"}});
  ASSERT_TRUE(config.is_ok()) << config.status().message();
  EXPECT_EQ(config->precision, "bf16");
  EXPECT_EQ(config->srvgg_activation, "relu");
  EXPECT_EQ(load_server_config("", {})->precision, "");
  EXPECT_NE(
      load_error("", {{"REAL_ESRGAN_SERVE_PRECISION", "fp16"}})
          .find("server setting 'precision' (environment variable "
                "REAL_ESRGAN_SERVE_PRECISION): expected one of: fp32, bf16, auto, got 'fp16'"),
      std::string::npos);
  EXPECT_NE(load_error("srvgg_activation = \"gelu\"\n").find("expected one of: relu, leakyrelu"),
            std::string::npos);
}

TEST_F(ServerConfigTest, TomlSyntaxErrorNamesFileLineAndColumn) {
  const std::string message = load_error("port = 80\nhost = \"unterminated\n");
  EXPECT_NE(message.find("server.toml:2:"), std::string::npos) << message;
}

TEST_F(ServerConfigTest, MissingFileIsNotFound) {
  auto config = load_server_config(dir_->path() / "absent.toml", {});
  ASSERT_FALSE(config.is_ok());
  EXPECT_EQ(config.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(config.status().message().find("absent.toml"), std::string::npos);
}

TEST(ServerConfigDocs, EverySettingHasARowWithItsEnvironmentVariable) {
  std::ifstream docs(std::string(RESR_SOURCE_DIR) + "/docs/server-config.md");
  ASSERT_TRUE(docs) << "docs/server-config.md";
  std::set<std::string> rows;
  for (std::string line; std::getline(docs, line);) {
    if (line.starts_with("| `")) rows.insert(line);
  }
  const std::vector<std::string> keys = server_setting_keys();
  EXPECT_EQ(rows.size(), keys.size());
  for (const std::string& key : keys) {
    const std::string start = "| `" + key + "` | `" + server_env_name(key) + "` |";
    EXPECT_TRUE(std::any_of(rows.begin(), rows.end(),
                            [&](const std::string& row) { return row.starts_with(start); }))
        << "no row starting with " << start;
  }
}

TEST_F(ServerConfigTest, ProcessEnvironmentKeepsOnlyPrefixedVariables) {
  ASSERT_EQ(setenv("REAL_ESRGAN_SERVE_MAX_QUEUE", "7", 1), 0);
  const Environment env = server_environment();
  unsetenv("REAL_ESRGAN_SERVE_MAX_QUEUE");
  ASSERT_EQ(env.count("REAL_ESRGAN_SERVE_MAX_QUEUE"), 1u);
  EXPECT_EQ(env.at("REAL_ESRGAN_SERVE_MAX_QUEUE"), "7");
  for (const auto& [name, value] : env) EXPECT_TRUE(name.starts_with(kServerEnvPrefix)) << name;
}

}  // namespace
}  // namespace resr
