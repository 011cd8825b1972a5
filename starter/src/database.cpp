/// @file database.cpp
/// @brief Opening SQLite connections, preparing and stepping statements.
/// Runs in: the process that runs a service.
/// Owns: nothing beyond the handles held by Database and Statement.
#include "database.hpp"

#include <sqlite3.h>

#include <cassert>
#include <stdexcept>

namespace mc {
namespace {

/// How long a statement waits for another connection's write lock before
/// failing with "database is locked". Only a second process opening the same
/// data dir (a mistake) or a checkpoint should ever make us wait.
constexpr int kBusyTimeoutMs = 5000;

[[noreturn]] void throwSqlite(sqlite3* db, std::string_view what) {
  throw std::runtime_error(std::string{what} + ": " + sqlite3_errmsg(db));
}

}  // namespace

// ---- Statement --------------------------------------------------------------

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }  // finalize(nullptr) is a no-op

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

Database::Database(const std::filesystem::path& path) {
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
    // WAL + NORMAL: a commit is an append to the log, fsynced at checkpoints.
    // A crashed process loses nothing committed; a power cut may lose the
    // last few commits but never corrupts the file.
    exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    sqlite3_close(db_);
    db_ = std::exchange(other.db_, nullptr);
  }
  return *this;
}

// sqlite3_close fails only if statements are still open; every Statement is
// destroyed before its Database, so that cannot happen here.
Database::~Database() { sqlite3_close(db_); }

void Database::exec(const char* sql) {
  assert(db_ != nullptr);
  if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) throwSqlite(db_, sql);
}

Statement Database::prepare(std::string_view sql) {
  assert(db_ != nullptr);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
      SQLITE_OK)
    throwSqlite(db_, "prepare");
  return Statement{stmt};
}

std::int64_t Database::queryInt(std::string_view sql) {
  Statement statement = prepare(sql);
  if (!statement.step()) throw std::runtime_error("no result: " + std::string{sql});
  return statement.columnInt(0);
}

std::int64_t Database::changes() const noexcept { return sqlite3_changes(db_); }

// ---- Transaction ------------------------------------------------------------

// IMMEDIATE takes the write lock now rather than at the first write, so two
// connections can never both read and then deadlock upgrading to writers.
Transaction::Transaction(Database& db) : db_{db} { db_.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (committed_) return;
  try {
    db_.exec("ROLLBACK");
  } catch (const std::exception&) {
    // SQLite already rolled back on its own (e.g. after an I/O error).
  }
}

void Transaction::commit() {
  db_.exec("COMMIT");
  committed_ = true;
}

}  // namespace mc
