/// @file database.cpp
/// @brief Opening SQLite connections, preparing and stepping statements.
/// Runs in: the process that runs a service.
/// Owns: nothing beyond the handles held by Database and Statement.
#include "database.hpp"

#include <sqlite3.h>

#include <cassert>
#include <functional>
#include <stdexcept>
#include <unordered_map>

namespace mc {
namespace {

/// How long opening a database waits for another connection to let go of it
/// before failing with "database is locked": time for a crashed owner's
/// successor to find the file free once the old process is gone. Only a
/// second process opening the same data dir (a mistake) waits it out.
constexpr int kBusyTimeoutMs = 5000;

/// Most distinct SQL texts one connection keeps compiled. Our services use
/// about a dozen; the bound only matters if someone prepares generated SQL,
/// which then gets owned, uncached statements instead of a growing cache.
constexpr std::size_t kMaxCachedStatements = 64;

[[noreturn]] void throwSqlite(sqlite3* db, std::string_view what) {
  throw std::runtime_error(std::string{what} + ": " + sqlite3_errmsg(db));
}

/// Compiles @p sql on @p db. @p flags: 0, or SQLITE_PREPARE_PERSISTENT for a
/// statement that will be kept (SQLite then allocates it outside the
/// connection's small lookaside buffers, which are meant for short-lived ones).
sqlite3_stmt* compile(sqlite3* db, std::string_view sql, unsigned flags) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), flags, &stmt, nullptr) !=
      SQLITE_OK)
    throwSqlite(db, "prepare");
  return stmt;
}

/// The page size of a database this code creates (an existing file keeps its
/// own: SQLite fixes it when the first table is written). A commit appends
/// every page it changed to the log, whole, with a checksum over it. Our rows
/// are a few dozen bytes and a request changes about two pages (a table's and
/// an index's), so with SQLite's default of 4 KiB nearly all of each append
/// was bytes nobody changed. With 1 KiB pages a commit writes and checksums a
/// quarter as much, and the log between checkpoints is a quarter the size,
/// small enough to stay in the page cache. Measured back to back: stage 2
/// +35% requests/s at 64 clients, --pool 1 +7% at 64 clients and +19% at one
/// (docs/performance.md). Smaller still (512, the least) measured the same.
constexpr int kPageBytes = 1024;

/// WAL pages after which a commit copies the log back into the database
/// file. That checkpoint runs inside the unlucky request's COMMIT and fsyncs
/// twice, milliseconds on a virtual disk, so SQLite's default of 1000 pages
/// made one request in a few hundred stall. A larger log means fewer, longer
/// stalls and less waiting in all (docs/performance.md), for at most
/// 4000 x kPageBytes of log per service (4 MiB). Durability is unchanged: a
/// commit is in the log before COMMIT returns, checkpoint or not.
constexpr int kAutoCheckpointPages = 4000;

/// Hashes std::string and std::string_view alike, so the cache can be
/// searched with a string_view without building a std::string per lookup.
struct SqlHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view sql) const noexcept {
    return std::hash<std::string_view>{}(sql);
  }
};

}  // namespace

/// One compiled statement in the cache, and whether a Statement borrows it.
struct CachedStatement {
  sqlite3_stmt* stmt = nullptr;  ///< compiled once, finalized with the connection
  bool lent = false;             ///< a Statement holds it now; cleared when that one goes
};

/// The compiled statements of one connection, by SQL text. An unordered_map
/// keeps each entry at one address for its whole life (also when the map
/// grows or moves), so a borrowing Statement can hold a pointer to its flag.
struct StatementCache {
  std::unordered_map<std::string, CachedStatement, SqlHash, std::equal_to<>> entries;  ///< by SQL text
};

// ---- Statement --------------------------------------------------------------

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    letGo();
    stmt_ = std::exchange(other.stmt_, nullptr);
    lent_ = std::exchange(other.lent_, nullptr);
  }
  return *this;
}

Statement::~Statement() { letGo(); }

void Statement::letGo() noexcept {
  if (lent_ == nullptr) {
    sqlite3_finalize(stmt_);  // finalize(nullptr) is a no-op
    return;
  }
  // Back to the cache as if freshly compiled: rewound (which also ends any
  // read it had open) and with no value left bound from this use.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  *lent_ = false;
  lent_ = nullptr;
}

void Statement::bind(int index, std::string_view text) {
  assert(stmt_ != nullptr);
  // SQLITE_TRANSIENT: SQLite copies the text, so the caller's buffer may die.
  if (sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()),
                        SQLITE_TRANSIENT) != SQLITE_OK)
    throwSqlite(sqlite3_db_handle(stmt_), "bind");
}

void Statement::bind(int index, std::int64_t value) {
  assert(stmt_ != nullptr);
  if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK)
    throwSqlite(sqlite3_db_handle(stmt_), "bind");
}

bool Statement::step() {
  assert(stmt_ != nullptr);
  switch (sqlite3_step(stmt_)) {
    case SQLITE_ROW:
      return true;   // a row to read
    case SQLITE_DONE:
      return false;  // no more rows
    default:
      throwSqlite(sqlite3_db_handle(stmt_), "step");
  }
}

// The error sqlite3_reset() may return is the one step() already reported.
void Statement::reset() noexcept { sqlite3_reset(stmt_); }

std::int64_t Statement::columnInt(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

std::string Statement::columnText(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return {};  // NULL
  return std::string{reinterpret_cast<const char*>(text),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))};
}

// ---- Database ---------------------------------------------------------------

Database::Database(const std::filesystem::path& path) : cache_{std::make_unique<StatementCache>()} {
  int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                           nullptr);
  if (rc != SQLITE_OK) {
    // Even a failed open may allocate a handle: it carries the message.
    std::string message = "open " + path.string() + ": " +
                          (db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
    sqlite3_close(db_);
    db_ = nullptr;
    throw std::runtime_error(message);
  }
  try {
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    // EXCLUSIVE: this connection takes the file's lock at its first access
    // and keeps it until it closes. Each database has one owner process (the
    // service's), so sharing it would only cost: six fcntl() lock calls and a
    // shared-memory index per transaction, and a process-wide mutex inside
    // SQLite that all services of a stage 2 server contend on. A second
    // opener (another cabinetd on the same data dir) gets "database is
    // locked" after kBusyTimeoutMs instead of writing beside us.
    // WAL + NORMAL: a commit is an append to the log, fsynced at checkpoints.
    // A crashed process loses nothing committed; a power cut may lose the
    // last few commits but never corrupts the file.
    // The page size first: a database in WAL mode can no longer change it.
    setPageSizeOfNewFile();
    exec("PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
    setAutoCheckpoint();
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

Database::Database(Database&& other) noexcept
    : db_{std::exchange(other.db_, nullptr)}, cache_{std::move(other.cache_)} {}

void Database::setPageSizeOfNewFile() {
  const std::string pragma = "PRAGMA page_size=" + std::to_string(kPageBytes);
  exec(pragma.c_str());  // a no-op for a file that already has tables
}

void Database::setAutoCheckpoint() {
  if (sqlite3_wal_autocheckpoint(db_, kAutoCheckpointPages) != SQLITE_OK)
    throwSqlite(db_, "wal_autocheckpoint");
}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    close();
    db_ = std::exchange(other.db_, nullptr);
    cache_ = std::move(other.cache_);
  }
  return *this;
}

Database::~Database() { close(); }

// sqlite3_close fails only if statements are still open; every Statement is
// destroyed before its Database, and the cached ones are finalized first.
void Database::close() noexcept {
  if (cache_) {
    for (auto& [sql, cached] : cache_->entries) {
      assert(!cached.lent && "a Statement outlived its Database");
      sqlite3_finalize(cached.stmt);
    }
    cache_->entries.clear();
  }
  sqlite3_close(db_);  // close(nullptr) is a no-op
  db_ = nullptr;
}

void Database::exec(const char* sql) {
  assert(db_ != nullptr);
  if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) throwSqlite(db_, sql);
}

Statement Database::prepare(std::string_view sql) {
  assert(db_ != nullptr && cache_ != nullptr);
  auto found = cache_->entries.find(sql);
  if (found == cache_->entries.end()) {
    if (cache_->entries.size() >= kMaxCachedStatements)
      return Statement{compile(db_, sql, 0)};  // cache full: owned, finalized after use
    sqlite3_stmt* stmt = compile(db_, sql, SQLITE_PREPARE_PERSISTENT);
    found = cache_->entries.emplace(std::string{sql}, CachedStatement{stmt, false}).first;
  }
  CachedStatement& cached = found->second;
  if (cached.lent) return Statement{compile(db_, sql, 0)};  // in use: a second, owned copy
  cached.lent = true;
  return Statement{cached.stmt, &cached.lent};
}

std::int64_t Database::queryInt(std::string_view sql) {
  Statement statement = prepare(sql);
  if (!statement.step()) throw std::runtime_error("no result: " + std::string{sql});
  return statement.columnInt(0);
}

std::int64_t Database::changes() const noexcept { return sqlite3_changes(db_); }

bool Database::inTransaction() const noexcept { return sqlite3_get_autocommit(db_) == 0; }

void Database::endOpenReads() noexcept {
  for (sqlite3_stmt* stmt = sqlite3_next_stmt(db_, nullptr); stmt != nullptr;
       stmt = sqlite3_next_stmt(db_, stmt)) {
    if (sqlite3_stmt_busy(stmt)) sqlite3_reset(stmt);
  }
}

// ---- Transaction ------------------------------------------------------------

// IMMEDIATE takes the write lock now rather than at the first write, so two
// connections can never both read and then deadlock upgrading to writers.
// BEGIN, COMMIT and ROLLBACK go through prepare() like any statement, so they
// too are compiled once per connection, not once per transaction. A nested
// Transaction is a savepoint; one name serves every level, since SQLite
// releases or rolls back to the innermost savepoint of a name.
Transaction::Transaction(Database& db) : db_{db}, nested_{db.inTransaction()} {
  db_.prepare(nested_ ? "SAVEPOINT nested" : "BEGIN IMMEDIATE").step();
}

Transaction::~Transaction() {
  if (committed_) return;
  try {
    if (!nested_) {
      db_.prepare("ROLLBACK").step();
    } else if (db_.inTransaction()) {  // not if SQLite already ended the outer one
      db_.prepare("ROLLBACK TO nested").step();  // undoes our changes, keeps the savepoint
      db_.prepare("RELEASE nested").step();      // ... which then goes
    }
  } catch (const std::exception&) {
    // SQLite already rolled back on its own (e.g. after an I/O error).
  }
}

// COMMIT returns only once the transaction's pages are in the WAL file (see
// the Database constructor): a reply sent after it survives a process crash.
//
// Why the open reads end first: a SELECT that returned its row but was not
// stepped to its end (a deposit's "first free compartment", LIMIT 1) still
// holds a read of the database. COMMIT then writes the log but leaves that
// read open, and while a read is open SQLite can neither checkpoint the log
// into the database file nor start the log over: it grew by every commit,
// without bound (about 80 MiB a second under the benchmark's load).
// (Only the outermost commit does it: the reads still open inside a batch
// may be its caller's, part-way through, and RELEASE ends no read anyway.)
void Transaction::commit() {
  if (!nested_) db_.endOpenReads();
  db_.prepare(nested_ ? "RELEASE nested" : "COMMIT").step();
  committed_ = true;
}

}  // namespace mc
