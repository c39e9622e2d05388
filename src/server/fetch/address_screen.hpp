// Which socket addresses a server may connect to on a client's behalf. A URL
// input must not reach the server's own host, its network or the cloud
// metadata service (SSRF), so these are refused unless configured otherwise.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <optional>
#include <string>

namespace resr {

// Why `address` is not a public unicast address ("loopback", "private",
// "link-local, cloud metadata", ...), or nullopt when it is one. IPv4
// addresses embedded in IPv6 (mapped ::ffff:a.b.c.d, compatible ::a.b.c.d,
// NAT64 64:ff9b::a.b.c.d) are judged as the IPv4 address they carry.
// Other address families, and a `length` too short for the family, are never
// public.
std::optional<std::string> non_public_address_kind(const sockaddr* address, size_t length);

// "127.0.0.1" or "::1" ("?" for anything else).
std::string address_text(const sockaddr* address, size_t length);

// The canonical text of an IPv4 or IPv6 literal ("0:0::1" -> "::1"), the form
// address_text() gives, or nullopt when `literal` is not one.
std::optional<std::string> canonical_ip_literal(const std::string& literal);

}  // namespace resr
