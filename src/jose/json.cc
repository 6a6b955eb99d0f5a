#include "authgate/jose/json.h"

#include <algorithm>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>
#include <string>
#include <vector>

#include "authgate/jose/errc.h"

namespace authgate::jose {
namespace {

namespace bj = boost::json;

// A basic_parser handler that builds the value exactly like boost::json::parser and
// additionally remembers the member names of every open object, so a duplicate fails
// the parse instead of silently overwriting the first value.
class StrictHandler {
 public:
  static constexpr std::size_t max_object_size = bj::object::max_size();
  static constexpr std::size_t max_array_size = bj::array::max_size();
  static constexpr std::size_t max_key_size = bj::string::max_size();
  static constexpr std::size_t max_string_size = bj::string::max_size();

  bj::value_stack st;
  bool duplicate = false;

  bool on_document_begin(bj::error_code&) { return true; }
  bool on_document_end(bj::error_code&) { return true; }
  bool on_object_begin(bj::error_code&) {
    starts_.push_back(keys_.size());
    return true;
  }
  bool on_object_end(std::size_t n, bj::error_code& ec) {
    size_t start = starts_.back();
    starts_.pop_back();
    bool dup = hasDuplicate(start);
    keys_.resize(start);
    if (dup) {
      duplicate = true;
      ec = bj::error::syntax;  // any error stops the parser; `duplicate` says why
      return false;
    }
    st.push_object(n);
    return true;
  }
  bool on_array_begin(bj::error_code&) { return true; }
  bool on_array_end(std::size_t n, bj::error_code&) {
    st.push_array(n);
    return true;
  }
  bool on_key_part(bj::string_view s, std::size_t, bj::error_code&) {
    keyPart_.append(s.data(), s.size());
    st.push_chars(s);
    return true;
  }
  bool on_key(bj::string_view s, std::size_t, bj::error_code&) {
    keyPart_.append(s.data(), s.size());
    keys_.push_back(std::move(keyPart_));
    keyPart_.clear();
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

 private:
  bool hasDuplicate(size_t start) const {
    size_t n = keys_.size() - start;
    if (n < 2) return false;
    if (n <= 8) {
      for (size_t i = start; i < keys_.size(); ++i) {
        for (size_t j = i + 1; j < keys_.size(); ++j) {
          if (keys_[i] == keys_[j]) return true;
        }
      }
      return false;
    }
    // Large objects (a JWKS member list, a fuzzer's input): sort a copy of views so
    // the check stays O(n log n).
    std::vector<std::string_view> v(keys_.begin() + static_cast<std::ptrdiff_t>(start),
                                    keys_.end());
    std::sort(v.begin(), v.end());
    return std::adjacent_find(v.begin(), v.end()) != v.end();
  }

  std::vector<std::string> keys_;
  std::vector<size_t> starts_;
  std::string keyPart_;
};

}  // namespace

Result<bj::value> parseStrictJson(std::string_view text, const JsonLimits& limits) {
  if (text.size() > limits.maxBytes) return Errc::kBadJson;
  bj::parse_options opt;
  opt.max_depth = limits.maxDepth;
  opt.allow_comments = false;
  opt.allow_trailing_commas = false;
  opt.allow_invalid_utf8 = false;
  bj::basic_parser<StrictHandler> p(opt);
  p.handler().st.reset();
  bj::error_code ec;
  size_t used = p.write_some(false, text.data(), text.size(), ec);
  if (p.handler().duplicate) return Errc::kDuplicateJsonMember;
  if (ec || used != text.size() || !p.done()) return Errc::kBadJson;
  return p.handler().st.release();
}

Result<bj::object> parseStrictJsonObject(std::string_view text, const JsonLimits& limits) {
  auto v = parseStrictJson(text, limits);
  if (!v) return v.error();
  if (!v->is_object()) return Errc::kNotJsonObject;
  return std::move(v->get_object());
}

}  // namespace authgate::jose
