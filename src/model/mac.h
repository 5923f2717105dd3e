// A NIC's MAC address in its one canonical form. Every MAC that comes from outside (a
// plan, vCenter, esxcli, net-stats) is parsed here once; everything past that compares
// Macs, never strings.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vmc::model {

class Mac {
 public:
  /// No MAC (a pin of an uplink, a NIC whose MAC vCenter did not give).
  Mac() = default;

  /// Six hex octets of one or two digits, separated all by ':' or all by '-', with blanks
  /// around allowed ("00:50:56:A1:B2:C3", "00-50-56-a1-b2-c3", " 0:50:56:1:2:3 "), as
  /// "00:50:56:a1:b2:c3". Anything else: nullopt.
  static std::optional<Mac> parse(std::string_view text);

  /// "00:50:56:a1:b2:c3"; empty for no MAC.
  const std::string& str() const { return text_; }
  bool empty() const { return text_.empty(); }
  /// The six octets (all zero for no MAC).
  std::array<uint8_t, 6> octets() const;

  friend bool operator==(const Mac&, const Mac&) = default;
  friend std::strong_ordering operator<=>(const Mac&, const Mac&) = default;

 private:
  explicit Mac(std::string canonical) : text_(std::move(canonical)) {}
  std::string text_;
};

}  // namespace vmc::model
