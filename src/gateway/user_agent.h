// What a person recognises of a User-Agent string: "Firefox 121" on "Windows", "Safari"
// on "iPhone". Values in, values out; for the sessions page only, never for a decision
// (any client can send any User-Agent).
#pragma once

#include <string>
#include <string_view>

namespace authgate::gateway {

struct DeviceSummary {
  std::string browser;  // "Chrome 120", "Firefox 121", "Safari 17", "curl", "Unknown browser"
  std::string device;   // "Windows", "Mac", "iPhone", "iPad", "Android phone",
                        // "Android tablet", "ChromeOS", "Linux", "Unknown device"
};

DeviceSummary describeUserAgent(std::string_view userAgent);

}  // namespace authgate::gateway
