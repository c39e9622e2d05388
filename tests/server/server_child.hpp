// A real `real-esrgan-serve server start` process for the tests: started on
// a free port with the tiny model, killed at the end.
#pragma once

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <fstream>

#include "server_test_support.hpp"
#include "support/run_binary.hpp"

namespace resr::testing {

// `real-esrgan-serve server start -p 0 ...` in the background.
class ServerChild {
 public:
  ServerChild(const std::filesystem::path& data_dir, std::vector<std::string> env = {},
              const std::vector<std::string>& flags = {})
      : data_dir_(data_dir) {
    // A killed server's address must not be mistaken for this one's.
    std::error_code ignored;
    std::filesystem::remove(data_dir / "server.pid.address", ignored);
    std::vector<std::string> args = {RESR_BINARY, "server",     "start",           "-p",
                                     "0",         "-m",         tiny_model_path(), "-j",
                                     "1",         "--data-dir", data_dir.string()};
    args.insert(args.end(), flags.begin(), flags.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_storage;
    for (char** e = environ; *e != nullptr; ++e) env_storage.emplace_back(*e);
    env_storage.insert(env_storage.end(), env.begin(), env.end());
    std::vector<char*> envp;
    for (std::string& e : env_storage) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    log_ = (data_dir.parent_path() / (data_dir.filename().string() + ".log")).string();
    const std::string& log = log_;
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0600);
    EXPECT_EQ(posix_spawn(&pid_, RESR_BINARY, &actions, nullptr, argv.data(), envp.data()), 0);
    posix_spawn_file_actions_destroy(&actions);
    // The address file appears once the server listens.
    const auto address = data_dir / "server.pid.address";
    EXPECT_TRUE(eventually([&] {
      std::ifstream in(address);
      std::string text;
      std::getline(in, text);
      if (text.find(':') == std::string::npos) return false;
      port_ = std::atoi(text.substr(text.rfind(':') + 1).c_str());
      return port_ > 0;
    })) << read_whole_file(log);
  }
  ~ServerChild() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      wait();
    }
  }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string log() const { return read_whole_file(log_); }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(30);
    return c;
  }
  void signal(int sig) { kill(pid_, sig); }
  // The exit code (128 + signal when killed), waiting at most `timeout`.
  int wait(std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
    int status = 0;
    const bool exited =
        eventually([&] { return waitpid(pid_, &status, WNOHANG) == pid_; }, timeout);
    if (!exited) return -1;
    pid_ = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  std::filesystem::path data_dir_;
  std::string log_;  // its stdout and stderr
  pid_t pid_ = 0;
  int port_ = 0;
};

}  // namespace resr::testing
