// What load.cc's settings-file reader shares with readers of other parts of the file
// (routes.cc): one value from YAML into a field, and the typo hint of unknown keys.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/field.h"

namespace YAML {
class Node;
}

namespace authgate::config {

// Sets one field from a YAML node, checking its type; "" or the reason it cannot.
std::string assignYamlValue(FieldRef ref, const YAML::Node& node);
// " (did you mean X?)" for the closest candidate within a small typo distance, or "".
std::string didYouMean(std::string_view name, const std::vector<std::string>& candidates);

}  // namespace authgate::config
