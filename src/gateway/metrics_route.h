// GET /metrics: the process's metrics in Prometheus text format 0.0.4 (served with /healthz
// and /readyz, on `server.admin_listen` when set).
#pragma once

#include "authgate/core/metrics.h"
#include "gateway/router.h"

namespace authgate::gateway {

// `metrics` must outlive the router.
void addMetricsRoute(Router& router, const core::MetricsRegistry& metrics);

}  // namespace authgate::gateway
