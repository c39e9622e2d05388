#include "server/server_config.hpp"

#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <functional>
#include <limits>
#include <set>
#include <variant>
#include <vector>

#include "resr/upscale.hpp"
#include "server/fetch/address_screen.hpp"

namespace resr {
namespace {

constexpr int64_t kMaxSeconds = int64_t{10} * 365 * 24 * 3600;
constexpr int64_t kIntMax = std::numeric_limits<int>::max();

// One value as a source gave it. Environment variables are always text and
// are parsed according to the setting; TOML values keep their own type.
struct RawValue {
  std::variant<std::string, int64_t, bool, double, std::vector<std::string>> value;
  bool is_env_text = false;
  std::string where;  // "server.toml:3" or "environment variable REAL_ESRGAN_SERVE_PORT"
};

std::string describe(const RawValue& raw) {
  if (const auto* s = std::get_if<std::string>(&raw.value)) return "'" + *s + "'";
  if (const auto* i = std::get_if<int64_t>(&raw.value)) return std::to_string(*i);
  if (const auto* b = std::get_if<bool>(&raw.value)) return *b ? "true" : "false";
  if (const auto* list = std::get_if<std::vector<std::string>>(&raw.value)) {
    std::string text;
    for (const std::string& item : *list) text += (text.empty() ? "'" : ", '") + item + "'";
    return "[" + text + "]";
  }
  return std::to_string(std::get<double>(raw.value));
}

Status bad_value(std::string_view key, const RawValue& raw, const std::string& expected) {
  return error(ErrorCode::kInvalidArgument, "server setting '" + std::string(key) + "' (" +
                                                raw.where + "): expected " + expected + ", got " +
                                                describe(raw));
}

Result<std::string> as_text(std::string_view key, const RawValue& raw) {
  if (const auto* s = std::get_if<std::string>(&raw.value)) return *s;
  return bad_value(key, raw, "a string");
}

std::string range_text(int64_t min, int64_t max) {
  if (max == std::numeric_limits<int64_t>::max() || max == kIntMax) {
    return "an integer >= " + std::to_string(min);
  }
  return "an integer from " + std::to_string(min) + " to " + std::to_string(max);
}

Result<int64_t> as_integer(std::string_view key, const RawValue& raw, int64_t min, int64_t max) {
  int64_t value = 0;
  if (const auto* i = std::get_if<int64_t>(&raw.value)) {
    value = *i;
  } else if (const auto* s = std::get_if<std::string>(&raw.value); s && raw.is_env_text) {
    const char* end = s->data() + s->size();
    auto [ptr, ec] = std::from_chars(s->data(), end, value);
    if (ec != std::errc() || ptr != end || s->empty())
      return bad_value(key, raw, range_text(min, max));
  } else {
    return bad_value(key, raw, range_text(min, max));
  }
  if (value < min || value > max) return bad_value(key, raw, range_text(min, max));
  return value;
}

// A byte count: an integer, or a size string such as "50MiB" or "2G".
Result<int64_t> as_bytes(std::string_view key, const RawValue& raw) {
  const std::string expected = "a byte size > 0 (e.g. 52428800, \"50MiB\" or \"2G\")";
  if (const auto* i = std::get_if<int64_t>(&raw.value)) {
    if (*i > 0) return *i;
    return bad_value(key, raw, expected);
  }
  if (const auto* s = std::get_if<std::string>(&raw.value)) {
    Result<int64_t> bytes = parse_byte_size(*s);
    if (bytes.is_ok()) return bytes;
  }
  return bad_value(key, raw, expected);
}

Result<bool> as_bool(std::string_view key, const RawValue& raw) {
  if (const auto* b = std::get_if<bool>(&raw.value)) return *b;
  if (const auto* s = std::get_if<std::string>(&raw.value); s && raw.is_env_text) {
    std::string lower;
    for (char c : *s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "true" || lower == "1" || lower == "yes" || lower == "on") return true;
    if (lower == "false" || lower == "0" || lower == "no" || lower == "off") return false;
  }
  return bad_value(key, raw,
                   raw.is_env_text ? "true/false, 1/0, yes/no or on/off" : "true or false");
}

// A TOML array of strings, or comma-separated text in the environment.
Result<std::vector<std::string>> as_list(std::string_view key, const RawValue& raw) {
  if (const auto* list = std::get_if<std::vector<std::string>>(&raw.value)) return *list;
  const auto* text = std::get_if<std::string>(&raw.value);
  if (text == nullptr || !raw.is_env_text) {
    return bad_value(key, raw, "an array of strings");
  }
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= text->size()) {
    const size_t comma = std::min(text->find(',', start), text->size());
    std::string item = text->substr(start, comma - start);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (!item.empty()) items.push_back(item);
    start = comma + 1;
  }
  return items;
}

struct Setting {
  std::string_view key;  // TOML key; dotted = inside a table
  std::function<Status(ServerConfig&, const RawValue&)> apply;
};

template <typename Field>
Setting text(std::string_view key, Field field, bool allow_empty = true) {
  return {key, [key, field, allow_empty](ServerConfig& config, const RawValue& raw) -> Status {
            RESR_ASSIGN_OR_RETURN(std::string value, as_text(key, raw));
            if (!allow_empty && value.empty()) return bad_value(key, raw, "a non-empty string");
            field(config) = value;
            return Status::ok();
          }};
}

template <typename Field>
Setting integer(std::string_view key, Field field, int64_t min, int64_t max) {
  return {key, [=](ServerConfig& config, const RawValue& raw) -> Status {
            RESR_ASSIGN_OR_RETURN(int64_t value, as_integer(key, raw, min, max));
            using T = std::remove_reference_t<decltype(field(config))>;
            field(config) = static_cast<T>(value);
            return Status::ok();
          }};
}

template <typename Field>
Setting bytes(std::string_view key, Field field) {
  return {key, [=](ServerConfig& config, const RawValue& raw) -> Status {
            RESR_ASSIGN_OR_RETURN(field(config), as_bytes(key, raw));
            return Status::ok();
          }};
}

template <typename Field>
Setting flag(std::string_view key, Field field) {
  return {key, [=](ServerConfig& config, const RawValue& raw) -> Status {
            RESR_ASSIGN_OR_RETURN(field(config), as_bool(key, raw));
            return Status::ok();
          }};
}

template <typename Field>
Setting one_of(std::string_view key, Field field, std::vector<std::string> allowed) {
  return {key, [=](ServerConfig& config, const RawValue& raw) -> Status {
            RESR_ASSIGN_OR_RETURN(std::string value, as_text(key, raw));
            if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
              std::string list;
              for (const std::string& name : allowed) list += (list.empty() ? "" : ", ") + name;
              return bad_value(key, raw, "one of: " + list);
            }
            field(config) = value;
            return Status::ok();
          }};
}

template <typename Field>
Setting address_list(std::string_view key, Field field) {
  return {key, [=](ServerConfig& config, const RawValue& raw) -> Status {
            RESR_ASSIGN_OR_RETURN(std::vector<std::string> items, as_list(key, raw));
            for (std::string& item : items) {
              std::optional<std::string> canonical = canonical_ip_literal(item);
              if (!canonical) {
                return bad_value(key, raw, "IP addresses such as \"10.0.0.7\" or \"fd00::5\"");
              }
              item = *canonical;
            }
            field(config) = std::move(items);
            return Status::ok();
          }};
}

#define RESR_FIELD(member) \
  [](ServerConfig & c) -> auto& { return c.member; }

const std::vector<Setting>& settings() {
  static const std::vector<Setting> all = {
      text("host", RESR_FIELD(host), false),
      integer("port", RESR_FIELD(port), 0, 65535),
      text("model", RESR_FIELD(model), false),
      text("engine", RESR_FIELD(engine)),
      text("models_dir", RESR_FIELD(models_dir)),
      one_of("srvgg_activation", RESR_FIELD(srvgg_activation), {"relu", "leakyrelu"}),
      one_of("backend", RESR_FIELD(backend), backend_names()),
      integer("gpu_id", RESR_FIELD(gpu_id), -1, kIntMax),
      integer("threads", RESR_FIELD(threads), 0, max_thread_count()),
      one_of("precision", RESR_FIELD(precision), {"fp32", "bf16", "auto"}),
      text("token", RESR_FIELD(token)),
      flag("allow_open_server", RESR_FIELD(allow_open_server)),
      text("data_dir", RESR_FIELD(data_dir), false),
      integer("result_ttl_seconds", RESR_FIELD(result_ttl_seconds), 1, kMaxSeconds),
      bytes("max_upload_bytes", RESR_FIELD(max_upload_bytes)),
      integer("max_input_pixels", RESR_FIELD(image_limits.max_input_pixels), 1,
              std::numeric_limits<int64_t>::max()),
      integer("max_output_pixels", RESR_FIELD(image_limits.max_output_pixels), 1,
              std::numeric_limits<int64_t>::max()),
      integer("max_queue", RESR_FIELD(max_queue), 1, 1'000'000),
      integer("task_timeout_seconds", RESR_FIELD(task_timeout_seconds), 1, kIntMax),
      integer("max_connections", RESR_FIELD(max_connections), 1, 65535),
      integer("header_timeout_seconds", RESR_FIELD(header_timeout_seconds), 1, 3600),
      integer("read_timeout_seconds", RESR_FIELD(read_timeout_seconds), 1, 3600),
      integer("write_timeout_seconds", RESR_FIELD(write_timeout_seconds), 1, 3600),
      integer("drain_grace_seconds", RESR_FIELD(drain_grace_seconds), 0, 3600),
      integer("tile_size", RESR_FIELD(tile_size), 0, kIntMax),
      bytes("tile_memory", RESR_FIELD(tile_memory_bytes)),
      text("pid_file", RESR_FIELD(pid_file)),
      text("log_file", RESR_FIELD(log_file)),
      flag("url_fetch.allow_private_addresses", RESR_FIELD(url_fetch.allow_private_addresses)),
      address_list("url_fetch.allowed_addresses", RESR_FIELD(url_fetch.allowed_addresses)),
      integer("url_fetch.max_redirects", RESR_FIELD(url_fetch.max_redirects), 0, 20),
      integer("url_fetch.connect_timeout_seconds", RESR_FIELD(url_fetch.connect_timeout_seconds), 1,
              600),
      integer("url_fetch.timeout_seconds", RESR_FIELD(url_fetch.timeout_seconds), 1, 3600),
      bytes("url_fetch.max_bytes", RESR_FIELD(url_fetch.max_bytes)),
      text("queue", RESR_FIELD(queue)),
      text("node_id", RESR_FIELD(node_id)),
      bytes("cluster_result_max_bytes", RESR_FIELD(cluster_result_max_bytes)),
      text("shared_dir", RESR_FIELD(shared_dir)),
      integer("cluster_claim_idle_seconds", RESR_FIELD(cluster_claim_idle_seconds), 1, kMaxSeconds),
      integer("cluster_max_deliveries", RESR_FIELD(cluster_max_deliveries), 1, 100),
  };
  return all;
}

#undef RESR_FIELD

constexpr std::string_view kFetchMaxBytesKey = "url_fetch.max_bytes";

}  // namespace

std::string server_env_name(std::string_view key) {
  std::string name(kServerEnvPrefix);
  for (char c : key) name += c == '.' ? '_' : static_cast<char>(std::toupper(c));
  return name;
}

std::vector<std::string> server_setting_keys() {
  std::vector<std::string> keys;
  for (const Setting& setting : settings()) keys.emplace_back(setting.key);
  return keys;
}

namespace {

const Setting* find_setting(std::string_view key) {
  for (const Setting& setting : settings()) {
    if (setting.key == key) return &setting;
  }
  return nullptr;
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// " (did you mean 'port'?)" when a known name is a likely typo of `name`.
std::string suggestion(std::string_view name,
                       const std::function<std::string(const Setting&)>& spell) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, name.size() / 4) + 1;
  for (const Setting& setting : settings()) {
    const std::string candidate = spell(setting);
    const size_t distance = edit_distance(name, candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

class Loader {
 public:
  Status apply(std::string_view key, const RawValue& raw) {
    const Setting* setting = find_setting(key);
    RESR_RETURN_IF_ERROR(setting->apply(config_, raw));
    if (key == kFetchMaxBytesKey) fetch_max_bytes_set_ = true;
    return Status::ok();
  }

  Status load_file(const std::filesystem::path& file) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) {
      return error(ErrorCode::kNotFound,
                   "server config file '" + file.string() + "' does not exist or is not a file");
    }
    toml::table root;
    try {
      root = toml::parse_file(file.string());
    } catch (const toml::parse_error& e) {
      const toml::source_position where = e.source().begin;
      return error(ErrorCode::kInvalidArgument,
                   "server config file " + file.string() + ":" + std::to_string(where.line) + ":" +
                       std::to_string(where.column) + ": " + std::string(e.description()));
    }
    return load_table(file, root, "");
  }

  Status load_env(const Environment& env) {
    for (const auto& [name, value] : env) {
      if (!name.starts_with(kServerEnvPrefix)) continue;
      const Setting* match = nullptr;
      for (const Setting& setting : settings()) {
        if (server_env_name(setting.key) == name) match = &setting;
      }
      if (match == nullptr) {
        return error(ErrorCode::kInvalidArgument,
                     "unknown environment variable " + name +
                         suggestion(name, [](const Setting& s) { return server_env_name(s.key); }) +
                         "; docs/server-config.md lists the settings");
      }
      RESR_RETURN_IF_ERROR(apply(match->key, {value, true, "environment variable " + name}));
    }
    return Status::ok();
  }

  ServerConfig finish() && {
    if (!fetch_max_bytes_set_) config_.url_fetch.max_bytes = config_.max_upload_bytes;
    return std::move(config_);
  }

 private:
  Status load_table(const std::filesystem::path& file, const toml::table& table,
                    const std::string& prefix) {
    for (const auto& [name, node] : table) {
      const std::string key = prefix + std::string(name.str());
      const std::string where = file.string() + ":" + std::to_string(node.source().begin.line);
      const bool is_known_table =
          std::any_of(settings().begin(), settings().end(),
                      [&](const Setting& s) { return s.key.starts_with(key + "."); });
      if (is_known_table && node.is_table()) {
        RESR_RETURN_IF_ERROR(load_table(file, *node.as_table(), key + "."));
        continue;
      }
      if (find_setting(key) == nullptr) {
        return error(ErrorCode::kInvalidArgument,
                     "unknown server setting '" + key + "' (" + where + ")" +
                         suggestion(key, [](const Setting& s) { return std::string(s.key); }) +
                         "; docs/server-config.md lists the settings");
      }
      RawValue raw{std::string(), false, where};
      if (auto s = node.value<std::string>(); s && node.is_string()) {
        raw.value = *s;
      } else if (node.is_integer()) {
        raw.value = *node.value<int64_t>();
      } else if (node.is_boolean()) {
        raw.value = *node.value<bool>();
      } else if (node.is_floating_point()) {
        raw.value = *node.value<double>();
      } else if (const toml::array* array = node.as_array();
                 array != nullptr &&
                 (array->empty() || array->is_homogeneous(toml::node_type::string))) {
        std::vector<std::string> items;
        for (const toml::node& item : *array) items.push_back(*item.value<std::string>());
        raw.value = std::move(items);
      } else {
        const char* got = node.is_array()   ? "an array"
                          : node.is_table() ? "a table"
                                            : "a date/time";
        return error(ErrorCode::kInvalidArgument, "server setting '" + key + "' (" + where +
                                                      "): expected a single value, got " + got);
      }
      RESR_RETURN_IF_ERROR(apply(key, raw));
    }
    return Status::ok();
  }

  ServerConfig config_;
  bool fetch_max_bytes_set_ = false;
};

}  // namespace

Environment server_environment() {
  Environment env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const size_t equals = text.find('=');
    if (equals == std::string_view::npos || !text.starts_with(kServerEnvPrefix)) continue;
    env.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
  }
  return env;
}

Result<ServerConfig> load_server_config(const std::filesystem::path& toml_file,
                                        const Environment& env) {
  Loader loader;
  if (!toml_file.empty()) RESR_RETURN_IF_ERROR(loader.load_file(toml_file));
  RESR_RETURN_IF_ERROR(loader.load_env(env));
  return std::move(loader).finish();
}

}  // namespace resr
