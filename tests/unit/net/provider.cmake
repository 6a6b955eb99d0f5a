# The provider client against a real HTTP provider served by net::Server on port 0.
authgate_unit_test(net_provider
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/provider_client_test.cc
          ${PROJECT_SOURCE_DIR}/tests/unit/jose/test_signer.cc
  DEPS authgate_gateway authgate_net Boost::json OpenSSL::Crypto)
