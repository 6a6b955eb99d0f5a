// Step 2: the authorization response at the redirect URI (RFC 6749 s4.1.2, s4.1.2.1;
// OIDC Core s3.1.2.5, s3.1.2.6; RFC 9207). GET carries it in the query, form_post in an
// application/x-www-form-urlencoded body; both arrive here as decoded core::Params.
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "authgate/core/clock.h"
#include "authgate/core/codec.h"
#include "authgate/core/secret.h"
#include "authgate/oidc/authorize.h"
#include "authgate/oidc/discovery.h"
#include "authgate/oidc/errc.h"

namespace authgate::oidc {

// The provider said no (RFC 6749 s4.1.2.1). Kept as data for an HTML-escaped page; the
// strings are provider text: cap their size, escape them, never treat them as markup.
struct ProviderError {
  std::string error;              // e.g. access_denied, login_required
  std::string error_description;  // may be empty
  std::string error_uri;          // may be empty
  std::string state;              // lets the gateway consume the transaction; may be empty
  int http_status = 400;          // 401 for authentication refusals, else 400
};

struct AuthorizationCode {
  core::Secret code;
  std::string state;
  std::optional<std::string> iss;  // RFC 9207
};

using CallbackResponse = std::variant<AuthorizationCode, ProviderError>;

// Parses the callback parameters. Parameters MUST NOT repeat (RFC 6749 s3.1) ->
// kBadCallbackParams. `error` wins over `code` when both appear. Missing state ->
// kMissingState; missing code -> kMissingCode; code longer than maxCodeBytes or not
// printable ASCII -> kCodeTooLarge / kBadCallbackParams.
Result<CallbackResponse> parseCallback(const core::Params& params, std::size_t maxCodeBytes = 2048);

// The HTTP status for a provider error: 401 when the user was not authenticated or was
// refused (access_denied, unauthorized, login_required, consent_required,
// interaction_required, account_selection_required), 400 otherwise.
int providerErrorStatus(std::string_view error);

struct CallbackExpectations {
  std::string issuer;         // exact
  bool iss_required = false;  // metadata.authorization_response_iss_parameter_supported
  std::chrono::seconds transaction_ttl{600};
};
CallbackExpectations callbackExpectations(const ProviderMetadata& m, const RelyingPartyOptions& rp);

// Individual checks, each with its own code.
Result<void> checkState(std::string_view presented, const LoginTransaction& txn);  // kStateMismatch
Result<void> checkTransactionFresh(const LoginTransaction& txn, const core::Clock& clock,
                                   std::chrono::seconds ttl);  // kTransactionExpired
// RFC 9207 s2.4: iss compared by simple string comparison when present; required when
// the provider advertises it (kMissingIssuerParam / kIssuerParamMismatch).
Result<void> checkIssuerParam(const std::optional<std::string>& iss,
                              const CallbackExpectations& expect);

// All of the above, in this order: state, freshness, iss.
Result<void> checkCallback(const AuthorizationCode& response, const LoginTransaction& txn,
                           const CallbackExpectations& expect, const core::Clock& clock);

}  // namespace authgate::oidc
