// The `routes:` list of the settings file (config.h RouteSettings): parsed from YAML with
// every problem reported as `routes[i].key: reason`, and checked as a whole.
#pragma once

#include <vector>

#include "config/config.h"
#include "config/load.h"

namespace YAML {
class Node;
}

namespace authgate::config {

// The route has a rule beyond "signed in" (emails, domains, claims, admins only).
bool hasRules(const RouteSettings& r);

// Appends the routes of `node` (a YAML sequence) to `out`; problems to `problems`.
void parseRoutes(const YAML::Node& node, std::vector<RouteSettings>& out,
                 std::vector<Problem>& problems);

// Checks the routes (and upstream.url beside them): hosts, paths, upstream URLs, rules
// that contradict `public`, header names, duplicates.
void validateRoutes(const Config& c, std::vector<Problem>& out);

// The routes authgate serves: `routes`, then upstream.url as a last route for every host
// and "/" (its pass_* settings with it) unless a route already covers that.
std::vector<RouteSettings> effectiveRoutes(const Config& c);

}  // namespace authgate::config
