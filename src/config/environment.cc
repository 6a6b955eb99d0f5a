#include "config/environment.h"

#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>

namespace authgate::config {

Environment processEnvironment() {
  Environment env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view line(*entry);
    const auto eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    env.emplace(std::string(line.substr(0, eq)), std::string(line.substr(eq + 1)));
  }
  return env;
}

namespace {

bool isBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

bool isNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.' || c == '-';
}

bool isVarStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_'; }

bool isVarChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

// Reads one env file. `pos_` walks the whole text because quoted values may span lines.
class EnvFileParser {
 public:
  EnvFileParser(std::string_view text, const Environment& lookup) : text_(text), lookup_(lookup) {}

  EnvFile run() {
    while (pos_ < text_.size()) entry();
    return std::move(out_);
  }

 private:
  bool atEnd() const { return pos_ >= text_.size(); }
  char peek() const { return atEnd() ? '\0' : text_[pos_]; }

  void skipBlanks() {
    while (!atEnd() && isBlank(peek())) ++pos_;
  }

  void skipLine() {
    while (!atEnd() && peek() != '\n') ++pos_;
    if (!atEnd()) {
      ++pos_;
      ++line_;
    }
  }

  void error(std::size_t line, std::string reason) {
    out_.errors.push_back({line, std::move(reason)});
  }

  // One line (or several, for a quoted value that spans lines).
  void entry() {
    skipBlanks();
    if (atEnd()) return;
    if (peek() == '\n' || peek() == '#') return skipLine();
    if (text_.substr(pos_, 7) == "export " || text_.substr(pos_, 7) == "export\t") {
      pos_ += 7;
      skipBlanks();
    }
    const auto start = pos_;
    while (!atEnd() && isNameChar(peek())) ++pos_;
    const std::string key(text_.substr(start, pos_ - start));
    skipBlanks();
    const std::size_t line = line_;
    if (key.empty()) {
      error(line, "expected KEY=VALUE");
      return skipLine();
    }
    if (atEnd() || peek() == '\n' || peek() == '#') {
      // A bare name takes its value from the environment, as compose does.
      if (auto it = lookup_.find(key); it != lookup_.end()) out_.values[key] = it->second;
      return skipLine();
    }
    if (peek() != '=' && peek() != ':') {
      error(line, "expected = after " + key);
      return skipLine();
    }
    ++pos_;
    skipBlanks();
    std::optional<std::string> value;
    if (peek() == '\'') {
      value = singleQuoted();
    } else if (peek() == '"') {
      value = doubleQuoted();
    } else {
      value = unquoted();
    }
    if (!value) {
      error(line, "unterminated quote in the value of " + key);
      pos_ = text_.size();
      return;
    }
    // After a closing quote only blanks and a comment may follow.
    skipBlanks();
    if (!atEnd() && peek() != '\n' && peek() != '#') {
      error(line_, "unexpected text after the quoted value of " + key);
    }
    skipLine();
    out_.values[key] = std::move(*value);
  }

  std::optional<std::string> singleQuoted() {
    ++pos_;
    std::string v;
    while (!atEnd() && peek() != '\'') {
      if (peek() == '\n') ++line_;
      v += text_[pos_++];
    }
    if (atEnd()) return std::nullopt;
    ++pos_;
    return v;
  }

  std::optional<std::string> doubleQuoted() {
    ++pos_;
    std::string v;
    while (!atEnd() && peek() != '"') {
      const char c = text_[pos_];
      if (c == '\\' && pos_ + 1 < text_.size()) {
        const char e = text_[pos_ + 1];
        const std::string_view known = "nrt\\\"$";
        if (known.find(e) != std::string_view::npos) {
          v += e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : e;
          pos_ += 2;
          continue;
        }
      }
      if (c == '$') {
        v += expansion();
        continue;
      }
      if (c == '\n') ++line_;
      v += c;
      ++pos_;
    }
    if (atEnd()) return std::nullopt;
    ++pos_;
    return v;
  }

  // Up to the end of the line or an inline comment (" #"), trailing blanks trimmed.
  std::string unquoted() {
    std::string v;
    while (!atEnd() && peek() != '\n') {
      const char c = peek();
      if (c == '#' && (v.empty() || isBlank(v.back()))) break;
      if (c == '\\' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '$') {
        v += '$';
        pos_ += 2;
        continue;
      }
      if (c == '$') {
        v += expansion();
        continue;
      }
      v += c;
      ++pos_;
    }
    while (!v.empty() && isBlank(v.back())) v.pop_back();
    // The rest of the line (a comment) is skipped by entry().
    while (!atEnd() && peek() != '\n') ++pos_;
    return v;
  }

  std::optional<std::string> find(const std::string& name) const {
    if (auto it = out_.values.find(name); it != out_.values.end()) return it->second;
    if (auto it = lookup_.find(name); it != lookup_.end()) return it->second;
    return std::nullopt;
  }

  // At '$': $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}; anything else is a literal '$'.
  std::string expansion() {
    ++pos_;
    if (isVarStart(peek())) {
      const auto start = pos_;
      while (!atEnd() && isVarChar(peek())) ++pos_;
      return find(std::string(text_.substr(start, pos_ - start))).value_or("");
    }
    if (peek() != '{') return "$";
    const auto close = text_.find('}', pos_);
    const auto newline = text_.find('\n', pos_);
    if (close == std::string_view::npos || close > newline) return "$";
    const auto inner = text_.substr(pos_ + 1, close - pos_ - 1);
    std::size_t n = 0;
    while (n < inner.size() && (n == 0 ? isVarStart(inner[n]) : isVarChar(inner[n]))) ++n;
    if (n == 0) return "$";
    const std::string name(inner.substr(0, n));
    auto rest = inner.substr(n);
    const bool colon = rest.substr(0, 2) == ":-";
    if (!rest.empty() && !colon && rest.front() != '-') return "$";
    pos_ = close + 1;
    const auto value = find(name);
    if (rest.empty()) return value.value_or("");
    rest.remove_prefix(colon ? 2 : 1);
    const bool useDefault = !value || (colon && value->empty());
    if (!useDefault) return *value;
    if (rest.size() >= 2 && (rest.front() == '"' || rest.front() == '\'') &&
        rest.back() == rest.front()) {
      rest = rest.substr(1, rest.size() - 2);
    }
    return std::string(rest);
  }

  std::string_view text_;
  const Environment& lookup_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
  EnvFile out_;
};

}  // namespace

EnvFile parseEnvFile(std::string_view text, const Environment& lookup) {
  return EnvFileParser(text, lookup).run();
}

EnvFilesResult withEnvFiles(const std::vector<std::string>& paths, const Environment& process) {
  EnvFilesResult out;
  Environment lookup = process;
  for (const auto& path : paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      out.problems.emplace_back(path, "cannot read env file: is a directory");
      continue;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      out.problems.emplace_back(path, std::string("cannot read env file: ") + std::strerror(errno));
      continue;
    }
    constexpr std::size_t kMaxEnvFile = 1024 * 1024;
    std::string text(kMaxEnvFile + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxEnvFile) {
      out.problems.emplace_back(path, "env file is larger than 1 MiB; is it the right file?");
      continue;
    }
    auto file = parseEnvFile(text, lookup);
    for (const auto& e : file.errors) {
      out.problems.emplace_back(path + ":" + std::to_string(e.line), e.reason);
    }
    for (auto& [k, v] : file.values) {
      // The shell's variables win (compose's precedence); later files win over earlier.
      if (!process.contains(k)) lookup[k] = v;
      out.env[k] = std::move(v);
    }
  }
  for (const auto& [k, v] : process) out.env[k] = v;
  return out;
}

std::vector<std::string> envFilesFromVariable(const Environment& process) {
  std::vector<std::string> paths;
  auto it = process.find("AUTHGATE_ENV_FILE");
  if (it == process.end()) return paths;
  std::string_view rest = it->second;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    auto item = rest.substr(0, comma);
    while (!item.empty() && isBlank(item.front())) item.remove_prefix(1);
    while (!item.empty() && isBlank(item.back())) item.remove_suffix(1);
    if (!item.empty()) paths.emplace_back(item);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  return paths;
}

}  // namespace authgate::config
