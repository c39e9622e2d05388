#include "server/fetch/address_screen.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>
#include <cstdint>
#include <cstring>

namespace resr {
namespace {

// a.b.c.d/prefix as a host-order value and a prefix length.
struct Ipv4Range {
  uint32_t base;
  int prefix;
  const char* kind;
};

constexpr uint32_t ipv4(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  return a << 24 | b << 16 | c << 8 | d;
}

// Most specific first: the first match names the kind.
constexpr std::array kIpv4NonPublic = {
    Ipv4Range{ipv4(169, 254, 169, 254), 32, "link-local, cloud metadata"},
    Ipv4Range{ipv4(255, 255, 255, 255), 32, "broadcast"},
    Ipv4Range{ipv4(0, 0, 0, 0), 8, "unspecified"},
    Ipv4Range{ipv4(10, 0, 0, 0), 8, "private"},
    Ipv4Range{ipv4(100, 64, 0, 0), 10, "shared, carrier-grade NAT"},
    Ipv4Range{ipv4(127, 0, 0, 0), 8, "loopback"},
    Ipv4Range{ipv4(169, 254, 0, 0), 16, "link-local"},
    Ipv4Range{ipv4(172, 16, 0, 0), 12, "private"},
    Ipv4Range{ipv4(192, 0, 0, 0), 24, "IETF protocol assignments"},
    Ipv4Range{ipv4(192, 168, 0, 0), 16, "private"},
    Ipv4Range{ipv4(198, 18, 0, 0), 15, "benchmarking"},
    Ipv4Range{ipv4(224, 0, 0, 0), 4, "multicast"},
    Ipv4Range{ipv4(240, 0, 0, 0), 4, "reserved"},
};

std::optional<std::string> ipv4_kind(uint32_t address) {
  for (const Ipv4Range& range : kIpv4NonPublic) {
    const uint32_t mask = range.prefix == 0 ? 0 : ~uint32_t{0} << (32 - range.prefix);
    if ((address & mask) == range.base) return range.kind;
  }
  return std::nullopt;
}

uint32_t ipv4_at(const uint8_t* bytes) {
  return uint32_t{bytes[0]} << 24 | uint32_t{bytes[1]} << 16 | uint32_t{bytes[2]} << 8 | bytes[3];
}

bool starts_with(const uint8_t* bytes, std::initializer_list<uint8_t> prefix) {
  return std::memcmp(bytes, prefix.begin(), prefix.size()) == 0;
}

std::optional<std::string> embedded_ipv4_kind(uint32_t address, const char* form) {
  std::optional<std::string> kind = ipv4_kind(address);
  if (kind) *kind += std::string(", in ") + form;
  return kind;
}

std::optional<std::string> ipv6_kind(const uint8_t* b) {
  static constexpr uint8_t kZeros[16] = {};
  if (std::memcmp(b, kZeros, 16) == 0) return "unspecified";
  if (std::memcmp(b, kZeros, 15) == 0 && b[15] == 1) return "loopback";
  if (std::memcmp(b, kZeros, 10) == 0 && b[10] == 0xff && b[11] == 0xff) {
    return embedded_ipv4_kind(ipv4_at(b + 12), "IPv4-mapped IPv6");
  }
  if (std::memcmp(b, kZeros, 12) == 0) {
    return embedded_ipv4_kind(ipv4_at(b + 12), "IPv4-compatible IPv6");
  }
  if (starts_with(b, {0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0})) {
    return embedded_ipv4_kind(ipv4_at(b + 12), "NAT64");
  }
  if (starts_with(b, {0x00, 0x64, 0xff, 0x9b, 0x00, 0x01})) return "private, local-use NAT64";
  if (starts_with(b, {0x20, 0x02})) return embedded_ipv4_kind(ipv4_at(b + 2), "6to4");
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return "link-local";
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return "site-local";
  if ((b[0] & 0xfe) == 0xfc) return "private, unique local";
  if (b[0] == 0xff) return "multicast";
  return std::nullopt;
}

}  // namespace

std::optional<std::string> non_public_address_kind(const sockaddr* address, size_t length) {
  if (address->sa_family == AF_INET && length >= sizeof(sockaddr_in)) {
    sockaddr_in v4;
    std::memcpy(&v4, address, sizeof v4);
    return ipv4_kind(ntohl(v4.sin_addr.s_addr));
  }
  if (address->sa_family == AF_INET6 && length >= sizeof(sockaddr_in6)) {
    sockaddr_in6 v6;
    std::memcpy(&v6, address, sizeof v6);
    return ipv6_kind(v6.sin6_addr.s6_addr);
  }
  return "not an IP address";
}

std::string address_text(const sockaddr* address, size_t length) {
  char text[INET6_ADDRSTRLEN] = "?";
  if (address->sa_family == AF_INET && length >= sizeof(sockaddr_in)) {
    sockaddr_in v4;
    std::memcpy(&v4, address, sizeof v4);
    inet_ntop(AF_INET, &v4.sin_addr, text, sizeof text);
  } else if (address->sa_family == AF_INET6 && length >= sizeof(sockaddr_in6)) {
    sockaddr_in6 v6;
    std::memcpy(&v6, address, sizeof v6);
    inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text);
  }
  return text;
}

std::optional<std::string> canonical_ip_literal(const std::string& literal) {
  char text[INET6_ADDRSTRLEN];
  in_addr v4;
  in6_addr v6;
  if (inet_pton(AF_INET, literal.c_str(), &v4) == 1) {
    return inet_ntop(AF_INET, &v4, text, sizeof text);
  }
  if (inet_pton(AF_INET6, literal.c_str(), &v6) == 1) {
    return inet_ntop(AF_INET6, &v6, text, sizeof text);
  }
  return std::nullopt;
}

}  // namespace resr
