// Who can reach the server: a server with no token that listens beyond
// loopback serves anyone on the network, so it starts only when asked to.
#pragma once

#include <string>

#include "resr/status.hpp"
#include "server/server_config.hpp"

namespace resr {

// "127.0.0.1", "127.x.y.z", "::1", "localhost" (any case).
bool is_loopback_host(const std::string& host);

// kInvalidArgument when `config` has no token, listens beyond loopback and
// allow_open_server is not set; ok otherwise (a warning is printed when an
// open server is allowed).
Status check_listen_exposure(const ServerConfig& config);

}  // namespace resr
