// Errors are values across module boundaries: every module declares an `enum class Errc`
// and gets a boost::system error category from ErrcTraits. Each code has a stable
// snake_case name used in metrics labels, audit events and JSON error bodies, and a
// human message. Neither ever contains request data.
#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>
#include <string>
#include <string_view>
#include <type_traits>

namespace authgate {

using boost::system::error_code;
template <class T>
using Result = boost::system::result<T, error_code>;

namespace core {

// Specialize for each module's Errc with: kCategory (const char*),
// std::string_view name(E) and std::string_view message(E).
template <class E>
struct ErrcTraits;

// boost::system::error_category has a protected non-virtual destructor by design;
// categories are never deleted through a base pointer.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
template <class E>
class EnumCategory final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return ErrcTraits<E>::kCategory; }
  std::string message(int ev) const override {
    return std::string(ErrcTraits<E>::message(static_cast<E>(ev)));
  }
  static const EnumCategory& instance() {
    static const EnumCategory category;
    return category;
  }
};
#pragma GCC diagnostic pop

template <class E>
error_code makeError(E e) {
  return {static_cast<int>(e), EnumCategory<E>::instance()};
}

// The stable snake_case name of any error_code produced by a project category, or
// "<category>:<value>" for foreign ones.
std::string errorName(const error_code& ec);

// Registers a category so errorName() can find its names. Called by AUTHGATE_ERRC.
void registerErrorNames(const boost::system::error_category& cat,
                        std::string_view (*nameOf)(int));

template <class E>
struct ErrcRegistrar {
  ErrcRegistrar() {
    registerErrorNames(EnumCategory<E>::instance(),
                       [](int v) { return ErrcTraits<E>::name(static_cast<E>(v)); });
  }
};

}  // namespace core
}  // namespace authgate

// Makes NS::Errc convert implicitly into error_code and Result<T>. Use at global scope
// after declaring the enum and its ErrcTraits specialization.
#define AUTHGATE_ERRC(NS)                                                               \
  namespace NS {                                                                        \
  inline ::authgate::error_code make_error_code(Errc e) { return ::authgate::core::makeError(e); } \
  inline const ::authgate::core::ErrcRegistrar<Errc> kErrcRegistrar_{};                \
  }                                                                                     \
  template <>                                                                           \
  struct boost::system::is_error_code_enum<NS::Errc> : std::true_type {};
