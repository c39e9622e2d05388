// Runs the built real-esrgan-serve binary (RESR_BINARY) the way a user would,
// without a shell, and captures what it prints and its exit code.
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/scratch_directory.hpp"

extern char** environ;

namespace resr::testing {

struct CommandResult {
  int exit_code = -1;  // -1 when the process did not exit normally
  std::string out;
  std::string err;
  long peak_rss_kib = 0;  // the process's peak resident set (wait4's ru_maxrss)
};

inline std::string read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs `program` (an absolute path) with `args`. `env` entries ("NAME=value",
// or "NAME=" to blank it) override the caller's environment. stdout and stderr
// go to files, so neither can fill a pipe.
inline CommandResult run_program(const std::string& program, const std::vector<std::string>& args,
                                 const std::vector<std::string>& env = {}) {
  auto scratch = ScratchDirectory::create("resr-run");
  if (!scratch.is_ok()) return {-1, "", scratch.status().message()};
  const std::string out_path = (scratch->path() / "stdout").string();
  const std::string err_path = (scratch->path() / "stderr").string();

  std::vector<std::string> argv_storage = {program};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : argv_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);

  std::vector<std::string> env_storage;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string current(*entry);
    const std::string name = current.substr(0, current.find('='));
    bool overridden = false;
    for (const std::string& e : env) overridden |= e.substr(0, e.find('=')) == name;
    if (!overridden) env_storage.push_back(current);
  }
  env_storage.insert(env_storage.end(), env.begin(), env.end());
  std::vector<char*> envp;
  for (std::string& entry : env_storage) envp.push_back(entry.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = 0;
  const int spawn_error = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (spawn_error != 0) return {-1, "", "cannot start " + argv_storage[0]};

  int status = 0;
  struct rusage usage {};
  while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.peak_rss_kib = usage.ru_maxrss;
  result.out = read_whole_file(out_path);
  result.err = read_whole_file(err_path);
  return result;
}

inline CommandResult run_binary(const std::vector<std::string>& args,
                                const std::vector<std::string>& env = {}) {
  return run_program(RESR_BINARY, args, env);
}

// Starts the binary without waiting for it (the caller waits for or signals
// the PID it returns, -1 when it could not start); output goes to /dev/null.
inline pid_t start_binary(std::vector<std::string> args) {
  args.insert(args.begin(), RESR_BINARY);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

}  // namespace resr::testing
