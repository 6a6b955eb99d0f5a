// A real PostgreSQL server for the session tests: initdb in a temporary directory, then
// `postgres` on 127.0.0.1 and a free port, stopped by PID when the object goes (and
// killed with the test process if it crashes, via PR_SET_PDEATHSIG). PostgreSQL refuses
// to run as root, so under root both run as `nobody`. The programs are Debian's
// (/usr/lib/postgresql/<version>/bin, the newest) or those in $AUTHGATE_PG_BIN.
#pragma once

#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "test_support.h"

namespace authgate::session::testing {

// The directory of PostgreSQL's server programs; throws when there is none.
inline std::string postgresBinDir() {
  if (const char* env = std::getenv("AUTHGATE_PG_BIN"); env && *env) return env;
  std::error_code ec;
  std::string best;
  int bestVersion = -1;
  for (const auto& e : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    const auto bin = e.path() / "bin";
    if (!std::filesystem::exists(bin / "initdb", ec)) continue;
    const int version = std::atoi(e.path().filename().c_str());
    if (version > bestVersion) {
      bestVersion = version;
      best = bin.string();
    }
  }
  if (best.empty()) {
    throw std::runtime_error(
        "PostgreSQL's server programs are not installed (Debian: postgresql; scripts/setup), "
        "or set AUTHGATE_PG_BIN");
  }
  return best;
}

class PostgresServer {
 public:
  struct Options {
    bool tls = false;  // ssl=on with a self-signed certificate for 127.0.0.1 (certFile())
  };

  PostgresServer() : PostgresServer(Options{}) {}
  explicit PostgresServer(Options o) : options_(o), port_(freePort()) {
    bin_ = postgresBinDir();
    password_ = randomHex(12);
    runAs_ = ::geteuid() == 0;
    if (runAs_) {
      const passwd* pw = ::getpwnam("nobody");
      if (!pw) throw std::runtime_error("running as root and there is no user nobody");
      uid_ = pw->pw_uid;
      gid_ = pw->pw_gid;
      own(dir_.path().string());
    }
    initdb();
    start();
  }
  ~PostgresServer() { stop(); }
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& password() const { return password_; }
  // The server's certificate (self-signed: its own root), with Options::tls.
  std::string certFile() const { return dir_.file("server.crt"); }

  // libpq's URI for the superuser "authgate" on database "postgres"; `query` is
  // appended after '?' when not empty.
  std::string uri(const std::string& query = "sslmode=disable") const {
    return "postgres://authgate:" + password_ + "@127.0.0.1:" + std::to_string(port_) +
           "/postgres" + (query.empty() ? "" : "?" + query);
  }

  // Starts `postgres` (again, after stop()) and waits until it accepts connections.
  void start() {
    std::vector<std::string> args = {bin_ + "/postgres",
                                     "-D",
                                     dir_.file("data"),
                                     "-p",
                                     std::to_string(port_),
                                     "-c",
                                     "listen_addresses=127.0.0.1",
                                     "-c",
                                     "unix_socket_directories=" + dir_.path().string(),
                                     "-c",
                                     "fsync=off",
                                     "-c",
                                     "full_page_writes=off"};
    if (options_.tls) {
      for (const std::string& a : {std::string("ssl=on"), "ssl_cert_file=" + certFile(),
                                   "ssl_key_file=" + dir_.file("server.key")}) {
        args.push_back("-c");
        args.push_back(a);
      }
    }
    pid_ = spawn(args, dir_.file("postgres.log"));
    const std::string probe = "host=127.0.0.1 port=" + std::to_string(port_) +
                              " dbname=postgres user=authgate connect_timeout=2";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      if (PQping(probe.c_str()) == PQPING_OK) return;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("postgres exited at start: " + log("postgres.log"));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    stop();
    throw std::runtime_error("postgres did not accept connections on port " +
                             std::to_string(port_) + ": " + log("postgres.log"));
  }

  // Immediate shutdown (SIGQUIT: the postmaster ends its backends), SIGKILL to it and
  // its children if it is still there after 5 s.
  void stop() {
    if (pid_ <= 0) return;
    signalAll(SIGCONT);
    ::kill(pid_, SIGQUIT);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    signalAll(SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  // Every process of the server stops answering (a hung database), then resumes.
  void pause() { signalAll(SIGSTOP); }
  void resume() { signalAll(SIGCONT); }

 private:
  static std::string randomHex(size_t bytes) {
    std::random_device rd;
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (size_t i = 0; i < bytes; ++i) {
      const auto b = rd() & 0xff;
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 15]);
    }
    return out;
  }

  // The postmaster and its children (each backend leads a process group of its own, so
  // a signal to the postmaster's group does not reach them).
  void signalAll(int sig) const {
    std::vector<pid_t> pids{pid_};
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
      const pid_t p = std::atoi(e.path().filename().c_str());
      if (p <= 0) continue;
      std::ifstream stat(e.path() / "stat");
      std::string line;
      std::getline(stat, line);
      // pid (comm) state ppid ...: comm may hold spaces, so read after the last ')'.
      const auto close = line.rfind(')');
      if (close == std::string::npos) continue;
      std::istringstream rest(line.substr(close + 1));
      char state = 0;
      pid_t ppid = 0;
      rest >> state >> ppid;
      if (ppid == pid_) pids.push_back(p);
    }
    for (pid_t p : pids) ::kill(p, sig);
  }

  void own(const std::string& path) const {
    if (runAs_ && ::chown(path.c_str(), uid_, gid_) != 0) {
      throw std::runtime_error("chown " + path + " failed");
    }
  }

  std::string log(const std::string& name) const {
    std::ifstream in(dir_.file(name));
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  // fork + exec `args` (as nobody under root), output to `logFile`.
  pid_t spawn(const std::vector<std::string>& args, const std::string& logFile) const {
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid > 0) return pid;
    if (runAs_ && (::setgroups(0, nullptr) != 0 || ::setgid(gid_) != 0 || ::setuid(uid_) != 0)) {
      ::_exit(126);
    }
    // After the change of user: a change of credentials clears the setting.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);
    if (::chdir(dir_.path().c_str()) != 0) ::_exit(125);
    const int out = ::open(logFile.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    ::dup2(out, 1);
    ::dup2(out, 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }

  int runToEnd(const std::vector<std::string>& args, const std::string& logName) const {
    const pid_t pid = spawn(args, dir_.file(logName));
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  }

  void initdb() {
    const auto pwfile = dir_.file("pwfile");
    std::ofstream(pwfile) << password_ << "\n";
    ::chmod(pwfile.c_str(), 0600);
    own(pwfile);
    const int rc =
        runToEnd({bin_ + "/initdb", "-D", dir_.file("data"), "-U", "authgate", "--pwfile=" + pwfile,
                  "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync",
                  "--no-instructions"},
                 "initdb.log");
    std::filesystem::remove(pwfile);
    if (rc != 0) throw std::runtime_error("initdb failed: " + log("initdb.log"));
    if (options_.tls) {
      const std::string cmd =
          "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
          "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout " +
          dir_.file("server.key") + " -out " + certFile() + " >/dev/null 2>&1";
      if (std::system(cmd.c_str()) != 0) throw std::runtime_error("openssl req failed");
      ::chmod(dir_.file("server.key").c_str(), 0600);
      own(dir_.file("server.key"));
      own(certFile());
    }
  }

  Options options_;
  int port_;
  TempDir dir_;
  std::string bin_;
  std::string password_;
  bool runAs_ = false;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  pid_t pid_ = -1;
};

}  // namespace authgate::session::testing
