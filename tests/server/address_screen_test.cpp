#include "server/fetch/address_screen.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <cstring>

namespace resr {
namespace {

struct ParsedAddress {
  sockaddr_storage storage{};
  size_t length = 0;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

ParsedAddress parse(const std::string& text) {
  ParsedAddress parsed;
  sockaddr_in v4{};
  sockaddr_in6 v6{};
  if (inet_pton(AF_INET, text.c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    std::memcpy(&parsed.storage, &v4, sizeof v4);
    parsed.length = sizeof v4;
  } else if (inet_pton(AF_INET6, text.c_str(), &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    std::memcpy(&parsed.storage, &v6, sizeof v6);
    parsed.length = sizeof v6;
  } else {
    ADD_FAILURE() << "not an address: " << text;
  }
  return parsed;
}

std::string kind_of(const std::string& text) {
  const ParsedAddress address = parse(text);
  return non_public_address_kind(address.get(), address.length).value_or("public");
}

TEST(AddressScreen, RefusesEveryNonPublicIpv4Range) {
  const std::pair<const char*, const char*> cases[] = {
      {"127.0.0.1", "loopback"},
      {"127.255.255.254", "loopback"},
      {"0.0.0.0", "unspecified"},
      {"0.1.2.3", "unspecified"},
      {"10.0.0.1", "private"},
      {"10.255.255.255", "private"},
      {"172.16.0.1", "private"},
      {"172.31.255.255", "private"},
      {"192.168.1.1", "private"},
      {"100.64.0.1", "shared, carrier-grade NAT"},
      {"100.127.255.255", "shared, carrier-grade NAT"},
      {"169.254.169.254", "link-local, cloud metadata"},
      {"169.254.0.1", "link-local"},
      {"192.0.0.192", "IETF protocol assignments"},
      {"198.18.0.1", "benchmarking"},
      {"224.0.0.1", "multicast"},
      {"239.255.255.250", "multicast"},
      {"255.255.255.255", "broadcast"},
      {"240.0.0.1", "reserved"},
  };
  for (const auto& [address, kind] : cases) EXPECT_EQ(kind_of(address), kind) << address;
}

TEST(AddressScreen, RefusesEveryNonPublicIpv6RangeAndEmbeddedIpv4) {
  const std::pair<const char*, const char*> cases[] = {
      {"::", "unspecified"},
      {"::1", "loopback"},
      {"fe80::1", "link-local"},
      {"febf:ffff::1", "link-local"},
      {"fec0::1", "site-local"},
      {"fc00::1", "private, unique local"},
      {"fd00:ec2::254", "private, unique local"},
      {"ff02::1", "multicast"},
      {"::ffff:127.0.0.1", "loopback, in IPv4-mapped IPv6"},
      {"::ffff:169.254.169.254", "link-local, cloud metadata, in IPv4-mapped IPv6"},
      {"::ffff:10.1.2.3", "private, in IPv4-mapped IPv6"},
      {"::ffff:0.0.0.0", "unspecified, in IPv4-mapped IPv6"},
      {"::127.0.0.1", "loopback, in IPv4-compatible IPv6"},
      {"64:ff9b::7f00:1", "loopback, in NAT64"},
      {"64:ff9b:1::1", "private, local-use NAT64"},
      {"2002:c0a8:0101::1", "private, in 6to4"},
  };
  for (const auto& [address, kind] : cases) EXPECT_EQ(kind_of(address), kind) << address;
}

TEST(AddressScreen, AcceptsPublicAddressesJustOutsideTheRanges) {
  for (const char* address :
       {"8.8.8.8", "1.1.1.1", "11.0.0.1", "9.255.255.255", "172.15.255.255", "172.32.0.1",
        "100.63.255.255", "100.128.0.1", "169.253.255.255", "192.169.0.1", "223.255.255.255",
        "2606:4700:4700::1111", "2001:4860:4860::8888", "::ffff:8.8.8.8", "64:ff9b::808:808",
        "2002:0808:0808::1", "fbff::1"}) {
    EXPECT_EQ(kind_of(address), "public") << address;
  }
}

TEST(AddressScreen, ShortOrForeignAddressesAreNotPublic) {
  const ParsedAddress v6 = parse("2606:4700:4700::1111");
  EXPECT_EQ(non_public_address_kind(v6.get(), sizeof(sockaddr_in)), "not an IP address");
  sockaddr unix_address{};
  unix_address.sa_family = AF_UNIX;
  EXPECT_EQ(non_public_address_kind(&unix_address, sizeof unix_address), "not an IP address");
}

TEST(AddressScreen, AddressText) {
  const ParsedAddress v4 = parse("192.168.1.20");
  const ParsedAddress v6 = parse("::ffff:127.0.0.1");
  EXPECT_EQ(address_text(v4.get(), v4.length), "192.168.1.20");
  EXPECT_EQ(address_text(v6.get(), v6.length), "::ffff:127.0.0.1");
}

TEST(AddressScreen, CanonicalIpLiteral) {
  EXPECT_EQ(canonical_ip_literal("10.0.0.7"), "10.0.0.7");
  EXPECT_EQ(canonical_ip_literal("0:0:0:0:0:0:0:1"), "::1");
  EXPECT_EQ(canonical_ip_literal("FD00::5"), "fd00::5");
  EXPECT_EQ(canonical_ip_literal("localhost"), std::nullopt);
  EXPECT_EQ(canonical_ip_literal("10.0.0.7 "), std::nullopt);
}

}  // namespace
}  // namespace resr
