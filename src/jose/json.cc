#include "authgate/jose/json.h"

#include <boost/container/small_vector.hpp>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>
#include <span>
#include <string>

#include "authgate/jose/errc.h"

namespace authgate::jose {
namespace {

namespace bj = boost::json;

// A basic_parser handler that builds the value exactly like boost::json::parser and
// records the member count each object had in the text, in completion order.
// Boost.JSON 1.81 collapses duplicate names while building an object (the last one
// wins), so a built object smaller than its recorded count, or fewer objects in the
// tree than were recorded, means the text had a duplicate. Comparing counts instead of
// remembering every name keeps the hot path free of per-key copies.
class StrictHandler {
 public:
  static constexpr std::size_t max_object_size = bj::object::max_size();
  static constexpr std::size_t max_array_size = bj::array::max_size();
  static constexpr std::size_t max_key_size = bj::string::max_size();
  static constexpr std::size_t max_string_size = bj::string::max_size();

  StrictHandler(unsigned char* buf, size_t size) : st(bj::storage_ptr(), buf, size) {}

  bj::value_stack st;
  // JWT headers and claims have a handful of objects: no heap allocation for those.
  boost::container::small_vector<size_t, 16> objectSizes;

  bool on_document_begin(bj::error_code&) { return true; }
  bool on_document_end(bj::error_code&) { return true; }
  bool on_object_begin(bj::error_code&) { return true; }
  bool on_object_end(std::size_t n, bj::error_code&) {
    objectSizes.push_back(n);
    st.push_object(n);
    return true;
  }
  bool on_array_begin(bj::error_code&) { return true; }
  bool on_array_end(std::size_t n, bj::error_code&) {
    st.push_array(n);
    return true;
  }
  bool on_key_part(bj::string_view s, std::size_t, bj::error_code&) {
    st.push_chars(s);
    return true;
  }
  bool on_key(bj::string_view s, std::size_t, bj::error_code&) {
    st.push_key(s);
    return true;
  }
  bool on_string_part(bj::string_view s, std::size_t, bj::error_code&) {
    st.push_chars(s);
    return true;
  }
  bool on_string(bj::string_view s, std::size_t, bj::error_code&) {
    st.push_string(s);
    return true;
  }
  bool on_number_part(bj::string_view, bj::error_code&) { return true; }
  bool on_int64(std::int64_t i, bj::string_view, bj::error_code&) {
    st.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, bj::string_view, bj::error_code&) {
    st.push_uint64(u);
    return true;
  }
  bool on_double(double d, bj::string_view, bj::error_code&) {
    st.push_double(d);
    return true;
  }
  bool on_bool(bool b, bj::error_code&) {
    st.push_bool(b);
    return true;
  }
  bool on_null(bj::error_code&) {
    st.push_null();
    return true;
  }
  bool on_comment_part(bj::string_view, bj::error_code&) { return false; }
  bool on_comment(bj::string_view, bj::error_code&) { return false; }
};

// Walks the built tree in the order objects were completed (children before their
// parent, in document order) and compares each object's size with the recorded count.
bool sizesMatch(const bj::value& v, std::span<const size_t> recorded, size_t& next) {
  if (v.is_array()) {
    for (const auto& e : v.get_array()) {
      if (!sizesMatch(e, recorded, next)) return false;
    }
    return true;
  }
  if (!v.is_object()) return true;
  for (const auto& kv : v.get_object()) {
    if (!sizesMatch(kv.value(), recorded, next)) return false;
  }
  if (next >= recorded.size() || recorded[next] != v.get_object().size()) return false;
  ++next;
  return true;
}

}  // namespace

Result<bj::value> parseStrictJson(std::string_view text, const JsonLimits& limits) {
  if (text.size() > limits.maxBytes) return Errc::kBadJson;
  bj::parse_options opt;
  opt.max_depth = limits.maxDepth;
  opt.allow_comments = false;
  opt.allow_trailing_commas = false;
  opt.allow_invalid_utf8 = false;
  // The parse stack lives on our stack (no heap allocation for a JWT-sized input).
  unsigned char temp[2048];
  bj::basic_parser<StrictHandler> p(opt, temp, sizeof temp);
  p.handler().st.reset();
  bj::error_code ec;
  size_t used = p.write_some(false, text.data(), text.size(), ec);
  if (ec || used != text.size() || !p.done()) return Errc::kBadJson;
  bj::value v = p.handler().st.release();
  size_t next = 0;
  if (!sizesMatch(v, p.handler().objectSizes, next) || next != p.handler().objectSizes.size()) {
    return Errc::kDuplicateJsonMember;
  }
  return v;
}

Result<bj::object> parseStrictJsonObject(std::string_view text, const JsonLimits& limits) {
  auto v = parseStrictJson(text, limits);
  if (!v) return v.error();
  if (!v->is_object()) return Errc::kNotJsonObject;
  return std::move(v->get_object());
}

}  // namespace authgate::jose
