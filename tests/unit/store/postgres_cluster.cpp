#include "postgres_cluster.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <vector>

extern char** environ;  // NOLINT: POSIX declares it nowhere else

namespace kefu::store::test {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view cluster_prefix = "kefu-pg-";

std::string conninfo_quoted(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

// The settings of a libpq connection string (URL or key=value) as key=value, with
// `search_path` set to `schema` unless it is empty.
std::string with_schema(const std::string& connection_string, std::string_view schema) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(connection_string.c_str(), &error);
  if (options == nullptr) {
    std::string message = error != nullptr ? error : "out of memory";
    PQfreemem(error);
    throw std::runtime_error("KEFU_TEST_PG_URL does not parse: " + message);
  }
  std::string out;
  std::string server_options;
  for (const PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    if (std::string_view(o->keyword) == "options") {
      server_options = o->val;
    } else {
      out += std::string(o->keyword) + "=" + conninfo_quoted(o->val) + " ";
    }
  }
  PQconninfoFree(options);
  if (!schema.empty()) {
    if (!server_options.empty()) server_options += " ";
    server_options += "-c search_path=" + std::string(schema);
  }
  if (!server_options.empty()) out += "options=" + conninfo_quoted(server_options);
  return out;
}

std::string tail_of(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  std::string all = text.str();
  constexpr std::size_t keep = 2000;
  return all.size() > keep ? "…" + all.substr(all.size() - keep) : all;
}

// Runs a command to completion in `cwd`, its output appended to `log`; returns its exit code,
// or -1 when it could not be started or did not exit normally.
int run(std::vector<std::string> argv, const fs::path& cwd, const fs::path& log) {
  std::vector<char*> args;
  for (std::string& arg : argv) args.push_back(arg.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  // A directory the postgres user can enter: the test's own may be closed to it.
  posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    std::ofstream(log, std::ios::app)
        << "cannot run " << argv[0] << ": " << std::strerror(spawned) << "\n";
    return -1;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Where initdb and pg_ctl are, or nothing.
std::optional<fs::path> find_bindir() {
  auto has_tools = [](const fs::path& dir) {
    std::error_code ignored;
    return fs::exists(dir / "initdb", ignored) && fs::exists(dir / "pg_ctl", ignored);
  };
  if (const char* bindir = std::getenv("KEFU_TEST_PG_BINDIR"); bindir != nullptr && *bindir) {
    if (has_tools(bindir)) return fs::path(bindir);
    return std::nullopt;
  }
  // Debian keeps the server tools off PATH, one directory per major version.
  std::optional<fs::path> newest;
  long newest_version = -1;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const long version = std::strtol(entry.path().filename().c_str(), nullptr, 10);
    if (version > newest_version && has_tools(entry.path() / "bin")) {
      newest_version = version;
      newest = entry.path() / "bin";
    }
  }
  if (newest) return newest;
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (!dir.empty() && has_tools(dir)) return fs::path(dir);
  }
  return std::nullopt;
}

// PostgreSQL refuses to run as root: as root, its tools run as the `postgres` system user.
struct ServerUser {
  bool switch_to_postgres = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

ServerUser server_user() {
  if (geteuid() != 0) return {};
  const passwd* postgres = getpwnam("postgres");
  if (postgres == nullptr) {
    throw std::runtime_error(
        "the tests run as root, PostgreSQL refuses to, and there is no `postgres` system user "
        "to run it as (the `postgresql` package creates it)");
  }
  return {true, postgres->pw_uid, postgres->pw_gid};
}

std::vector<std::string> as_server_user(const ServerUser& user, std::vector<std::string> argv) {
  if (!user.switch_to_postgres) return argv;
  std::string runuser = "runuser";
  for (const char* candidate : {"/usr/sbin/runuser", "/sbin/runuser"}) {
    if (access(candidate, X_OK) == 0) runuser = candidate;
  }
  std::vector<std::string> wrapped{runuser, "-u", "postgres", "--"};
  wrapped.insert(wrapped.end(), argv.begin(), argv.end());
  return wrapped;
}

void stop_cluster(const fs::path& bindir, const ServerUser& user, const fs::path& dir,
                  const fs::path& log) {
  run(as_server_user(user, {(bindir / "pg_ctl").string(), "-D", (dir / "data").string(), "-m",
                            "immediate", "-w", "-t", "30", "stop"}),
      dir, log);
}

// A killed process stays a zombie until its parent reaps it; it is gone all the same.
bool process_alive(long pid) {
  if (kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;  // no /proc: trust kill()
  const auto end_of_name = line.rfind(')');
  return end_of_name == std::string::npos || line.compare(end_of_name, 3, ") Z") != 0;
}

// Clusters of test processes that died without stopping theirs (a crash, a ctest timeout):
// their directory names carry the dead process's id.
void reap_abandoned_clusters(const fs::path& bindir, const ServerUser& user) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(fs::temp_directory_path(), ec)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(cluster_prefix)) continue;
    const long pid = std::strtol(name.c_str() + cluster_prefix.size(), nullptr, 10);
    if (pid <= 0 || pid == getpid()) continue;
    if (process_alive(pid)) continue;
    stop_cluster(bindir, user, entry.path(), "/dev/null");
    std::error_code ignored;
    fs::remove_all(entry.path(), ignored);
  }
}

// The URL the ctest fixture's server wrote (tests/postgres_fixture.py). Missing means the
// fixture failed to start one: an error, never a fall-back that would hide it.
std::string url_in(const fs::path& file) {
  std::ifstream in(file);
  std::string url;
  if (!std::getline(in, url) || url.empty()) {
    throw std::runtime_error("KEFU_TEST_PG_URL_FILE " + file.string() +
                             " holds no URL: did the postgres fixture (postgres_fixture.py "
                             "start) fail?");
  }
  return url;
}

class ServerAtUrl final : public PostgresCluster {
 public:
  explicit ServerAtUrl(std::string url) {
    if (url.find("://") == std::string::npos) {
      throw std::runtime_error("KEFU_TEST_PG_URL must be a postgresql:// URL");
    }
    with_schema(url, "");  // fails now, once, if the URL does not parse
    base_url_ = std::move(url);
  }
};

class ThrowawayCluster final : public PostgresCluster {
 public:
  ThrowawayCluster() : user_(server_user()) {
    auto bindir = find_bindir();
    if (!bindir) {
      throw std::runtime_error(
          "PostgreSQL server tools (initdb, pg_ctl) not found in KEFU_TEST_PG_BINDIR, "
          "/usr/lib/postgresql/<version>/bin or PATH: install the `postgresql` package "
          "(scripts/install-deps does) or point KEFU_TEST_PG_URL at a server");
    }
    bindir_ = *bindir;
    reap_abandoned_clusters(bindir_, user_);
    std::string pattern = (fs::temp_directory_path() /
                           (std::string(cluster_prefix) + std::to_string(getpid()) + "-XXXXXX"))
                              .string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    try {
      start();
    } catch (...) {
      remove();
      throw;
    }
  }
  ~ThrowawayCluster() override { remove(); }
  ThrowawayCluster(const ThrowawayCluster&) = delete;
  ThrowawayCluster& operator=(const ThrowawayCluster&) = delete;

 private:
  void start() {
    if (user_.switch_to_postgres && chown(dir_.c_str(), user_.uid, user_.gid) != 0) {
      throw std::runtime_error("cannot give " + dir_.string() +
                               " to the postgres user: " + std::strerror(errno));
    }
    const fs::path log = dir_ / "commands.log";
    // -N: no fsync of the new files; the cluster is thrown away.
    if (run(as_server_user(user_, {(bindir_ / "initdb").string(), "-D", (dir_ / "data").string(),
                                   "-U", "kefu", "--auth=trust", "-E", "UTF8", "--locale=C", "-N"}),
            dir_, log) != 0) {
      throw std::runtime_error("initdb failed:\n" + tail_of(log));
    }
    // The port is free when chosen but may be taken before the server binds it: try a few.
    for (int attempt = 0; attempt < 3; ++attempt) {
      const int port = free_loopback_port();
      const std::string server_options =
          "-k '" + dir_.string() + "' -h 127.0.0.1 -p " + std::to_string(port) + " -F";
      if (run(as_server_user(user_, {(bindir_ / "pg_ctl").string(), "-D", (dir_ / "data").string(),
                                     "-l", (dir_ / "server.log").string(), "-o", server_options,
                                     "-w", "-t", "60", "start"}),
              dir_, log) == 0) {
        port_ = port;
        base_url_ = "postgresql://kefu@127.0.0.1:" + std::to_string(port) + "/postgres";
        return;
      }
    }
    throw std::runtime_error("pg_ctl start failed:\n" + tail_of(log) + "\nserver log:\n" +
                             tail_of(dir_ / "server.log"));
  }

  void remove() {
    if (port_ != 0) stop_cluster(bindir_, user_, dir_, dir_ / "commands.log");
    port_ = 0;
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  ServerUser user_;
  fs::path bindir_;
  fs::path dir_;
  int port_ = 0;
};

}  // namespace

std::string PostgresCluster::conninfo(std::string_view schema) const {
  return with_schema(base_url_, schema);
}

std::string PostgresCluster::url(std::string_view schema) const {
  if (schema.empty()) return base_url_;
  const char separator = base_url_.find('?') == std::string::npos ? '?' : '&';
  return base_url_ + separator + "options=-c%20search_path%3D" + std::string(schema);
}

int free_loopback_port() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;  // the kernel picks
  socklen_t length = sizeof address;
  const bool ok = bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  close(fd);
  if (!ok) throw std::runtime_error("cannot find a free loopback port");
  return ntohs(address.sin_port);
}

PostgresCluster& shared_postgres_cluster() {
  // Test infrastructure's one process-wide object: started lazily, stopped by the static's
  // destructor at exit.
  static std::mutex mutex;
  static std::unique_ptr<PostgresCluster> cluster;
  static std::string failure;
  std::lock_guard lock(mutex);
  if (cluster) return *cluster;
  if (!failure.empty()) throw std::runtime_error(failure);
  try {
    if (const char* url = std::getenv("KEFU_TEST_PG_URL"); url != nullptr && *url) {
      cluster = std::make_unique<ServerAtUrl>(url);
    } else if (const char* file = std::getenv("KEFU_TEST_PG_URL_FILE"); file != nullptr && *file) {
      cluster = std::make_unique<ServerAtUrl>(url_in(file));
    } else {
      cluster = std::make_unique<ThrowawayCluster>();
    }
  } catch (const std::exception& e) {
    failure = std::string("no PostgreSQL server for the tests: ") + e.what();
    throw std::runtime_error(failure);
  }
  return *cluster;
}

}  // namespace kefu::store::test
