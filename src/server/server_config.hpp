// Every setting of `server start`, with its default. Sources, weakest first:
// the defaults below < a TOML file < REAL_ESRGAN_SERVE_* environment variables
// (command-line flags, applied by the caller, override all). docs/server-config.md
// lists each setting with its TOML key and environment variable.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "resr/models.hpp"
#include "resr/status.hpp"
#include "resr/upscale.hpp"
#include "server/fetch/url_fetch_policy.hpp"

namespace resr {

inline constexpr std::string_view kServerEnvPrefix = "REAL_ESRGAN_SERVE_";

struct ServerConfig {
  // Listening socket.
  std::string host = "127.0.0.1";
  int port = 8080;

  // The model loaded once at start: an installed model name or a file, or a
  // built engine file (which wins when set).
  std::string model = std::string(kDefaultModelName);
  std::filesystem::path engine;
  std::filesystem::path models_dir;  // empty: the default models directory
  // An SRVGGNetCompact .pth/.safetensors without PReLU weights: relu | leakyrelu.
  std::string srvgg_activation;
  std::string backend = "cpu";
  int gpu_id = -1;  // -1: CPU
  int threads = 0;  // 0: all cores
  // fp32, bf16 or auto. Empty: fp32 for a model; an engine runs at the
  // precision it was built for, which a set value must match.
  std::string precision;

  // Empty: no authentication (the server warns at start).
  std::string token;
  // Without a token the server listens only on loopback, unless this says
  // that an open server is meant.
  bool allow_open_server = false;

  // Task store (SQLite) and result images live here.
  std::filesystem::path data_dir = "real-esrgan-serve-data";
  int64_t result_ttl_seconds = 3600;

  // Bounds on what one request may cost.
  int64_t max_upload_bytes = int64_t{50} << 20;
  ImageLimits image_limits;
  int max_queue = 64;
  int task_timeout_seconds = 300;
  int max_connections = 64;
  int header_timeout_seconds = 5;
  int read_timeout_seconds = 30;
  int write_timeout_seconds = 30;

  // After SIGTERM, how long the running task may take to finish.
  int drain_grace_seconds = 30;

  // Tiling of every task: 0 = automatic, sized from tile_memory_bytes.
  int tile_size = 0;
  int64_t tile_memory_bytes = kDefaultMemoryBudget;

  std::filesystem::path pid_file;  // empty: <data_dir>/server.pid
  std::filesystem::path log_file;  // empty: stderr

  // URL inputs; its max_bytes defaults to max_upload_bytes when not set.
  UrlFetchPolicy url_fetch;

  // Cluster mode (docs/cluster.md): empty queue = the embedded SQLite store.
  std::string queue;                                    // redis://HOST:PORT[/DB]
  std::string node_id;                                  // empty: HOSTNAME-PID
  int64_t cluster_result_max_bytes = int64_t{8} << 20;  // larger: files in shared_dir
  std::filesystem::path shared_dir;                     // a folder every node mounts; empty: none
  int64_t cluster_claim_idle_seconds = 120;  // a task silent this long: its node is presumed dead
  int cluster_max_deliveries = 3;            // then the task goes to the dead-letter stream

  std::filesystem::path effective_pid_file() const {
    return pid_file.empty() ? data_dir / "server.pid" : pid_file;
  }
};

// Every TOML key ("port", "url_fetch.max_bytes"), in documentation order.
std::vector<std::string> server_setting_keys();
// "url_fetch.max_bytes" -> "REAL_ESRGAN_SERVE_URL_FETCH_MAX_BYTES".
std::string server_env_name(std::string_view key);

// Environment variables by name; tests pass their own.
using Environment = std::map<std::string, std::string>;

// The variables of this process whose names start with kServerEnvPrefix.
Environment server_environment();

// Defaults, then `toml_file` (skipped when empty), then `env`. Every unknown
// key, unknown REAL_ESRGAN_SERVE_* variable, wrong type or out-of-range value
// is a kInvalidArgument naming the key, where it was set and what is expected.
// A file that cannot be read is kNotFound / kIoError.
Result<ServerConfig> load_server_config(const std::filesystem::path& toml_file,
                                        const Environment& env);

}  // namespace resr
