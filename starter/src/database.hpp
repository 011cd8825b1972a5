/// @file database.hpp
/// @brief Database, Statement, Transaction: a small RAII wrapper over SQLite.
/// Runs in: the process that runs a service (see service_state.hpp).
/// Owns: one sqlite3 connection per Database, with the compiled statements it
/// keeps for reuse; a Statement owns or borrows one compiled statement.
///
/// Usage:
///   Database db{"var/parcel.db"};
///   Transaction tx{db};
///   Statement st = db.prepare("SELECT stock FROM products WHERE code = ?");
///   st.bind(1, "A1");
///   if (st.step()) stock = st.columnInt(0);
///   tx.commit();
///
/// Every failure throws std::runtime_error carrying sqlite3_errmsg().
/// A connection must not cross a fork(): open it in the process that uses it.
///
/// Why prepare() caches: compiling SQL (parse, plan, code generation) costs
/// far more than running one of our small statements; it was half of every
/// request's CPU time. So a Database compiles each SQL text once and lends the
/// compiled statement to every later prepare() of the same text; the loan
/// ends when the Statement is destroyed, which rewinds it and clears its
/// bindings, ready for the next borrower.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

// The C types, forward-declared so users of this header need not see sqlite3.h.
struct sqlite3;
struct sqlite3_stmt;

namespace mc {

/// Move-only handle of one prepared statement, owned (finalized by the
/// destructor) or borrowed from its Database's cache (rewound, its bindings
/// cleared and handed back by the destructor). Thread safety: none; use it
/// from one thread at a time, like its Database, and destroy it before the
/// Database.
/// A statement that returned a row but has not reached its end keeps the
/// connection's read transaction open, so outside a Transaction later changes
/// are not committed until it is destroyed or reset(). Keep statements in the
/// smallest scope that reads them. (Transaction::commit() rewinds any that
/// are still open: a read left open past COMMIT would stop every checkpoint.)
class Statement {
 public:
  /// @brief Takes ownership of @p stmt (finalized by the destructor).
  explicit Statement(sqlite3_stmt* stmt) noexcept : stmt_{stmt} {}
  /// @brief Borrows @p stmt from a cache whose "lent" flag is @p lent (set
  /// by the cache); the destructor rewinds the statement and clears *lent.
  Statement(sqlite3_stmt* stmt, bool* lent) noexcept : stmt_{stmt}, lent_{lent} {}
  /// @brief Takes over @p other's statement; @p other is left empty.
  Statement(Statement&& other) noexcept
      : stmt_{std::exchange(other.stmt_, nullptr)}, lent_{std::exchange(other.lent_, nullptr)} {}
  /// @brief Lets go of the statement held, then takes over @p other's.
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  /// @brief Binds text to the 1-based parameter @p index (the text is copied).
  /// @throws std::runtime_error on failure.
  void bind(int index, std::string_view text);
  /// @brief Binds an integer to the 1-based parameter @p index.
  /// @throws std::runtime_error on failure.
  void bind(int index, std::int64_t value);
  /// @brief Runs the statement up to its next result row.
  /// @return true when a row is ready to read, false when the statement is done.
  /// @throws std::runtime_error on any other outcome (busy, constraint, I/O...).
  bool step();
  /// @brief Rewinds the statement so step() runs it again; bindings are kept.
  void reset() noexcept;
  /// @brief Column @p column (0-based) of the current row as an integer.
  std::int64_t columnInt(int column) const;
  /// @brief Column @p column (0-based) of the current row as text ("" for NULL).
  std::string columnText(int column) const;

 private:
  /// Finalizes an owned statement, or rewinds a borrowed one and gives it back.
  void letGo() noexcept;

  sqlite3_stmt* stmt_ = nullptr;
  bool* lent_ = nullptr;  // the cache entry's "lent" flag; nullptr when owned
};

struct StatementCache;  // database.cpp: the compiled statements of one connection

/// Move-only owner of one SQLite connection, opened in WAL mode with
/// synchronous=NORMAL: a committed transaction survives a crash of the process
/// (not necessarily a power cut: the log is fsynced only at checkpoints).
/// A file it creates gets 1 KiB pages (database.cpp: kPageBytes says why).
/// The connection holds the file exclusively (locking_mode=EXCLUSIVE) until
/// it is closed: one database, one connection, one owner process. Opening a
/// second connection to the same file, in any process, fails with "database
/// is locked" after a few seconds.
/// Thread safety: none; the caller serializes all use of one Database.
class Database {
 public:
  /// @brief Opens (creating if needed) the database file at @p path.
  /// The directory must exist.
  /// @throws std::runtime_error if the file cannot be opened or configured.
  explicit Database(const std::filesystem::path& path);
  /// @brief Takes over @p other's connection and cache; @p other is left empty.
  Database(Database&& other) noexcept;
  /// @brief Closes the connection held, then takes over @p other's.
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  /// @brief Runs @p sql, one or more statements whose results are not needed.
  /// @throws std::runtime_error on failure.
  void exec(const char* sql);
  /// @brief One SQL statement, ready to bind and step: compiled at its first
  /// use on this connection, then borrowed from the cache (see the file
  /// comment). If the same text is still lent out (two live Statements of
  /// one text), the second is compiled afresh and owned.
  /// @throws std::runtime_error on a syntax error or an unknown table.
  Statement prepare(std::string_view sql);
  /// @brief Runs @p sql, which must return one integer (COUNT(*), a PRAGMA...).
  /// @throws std::runtime_error on failure or when no row comes back.
  std::int64_t queryInt(std::string_view sql);
  /// @brief How many rows the last INSERT, UPDATE or DELETE changed.
  std::int64_t changes() const noexcept;
  /// @brief True while a transaction is open on this connection. SQLite ends
  /// one by itself after some errors (a full disk, an I/O error): then this
  /// turns false before the Transaction object is gone.
  bool inTransaction() const noexcept;

 private:
  friend class Transaction;  // calls endOpenReads() before COMMIT

  /// Rewinds every statement of this connection still part-way through its
  /// rows, which ends the reads they hold open.
  void endOpenReads() noexcept;
  /// Asks for small pages (database.cpp: kPageBytes); only a new, empty
  /// file takes them.
  void setPageSizeOfNewFile();
  /// Sets how long the WAL may grow before a commit checkpoints it.
  void setAutoCheckpoint();
  /// Finalizes every cached statement (none may be lent), closes db_.
  void close() noexcept;

  sqlite3* db_ = nullptr;
  std::unique_ptr<StatementCache> cache_;  // SQL text -> compiled statement
};

/// A write transaction as a scope: the constructor begins it, commit() ends
/// it, and the destructor rolls it back if commit() was never reached (an
/// early return or an exception), so no half-done change is ever stored.
///
/// Transactions nest. One begun while another is open on the same Database
/// is a savepoint inside it: its commit() keeps its changes as part of the
/// outer transaction, its rollback undoes only its own changes, and nothing
/// is durable until the outermost commit(). A group commit is built this way:
/// an outer Transaction around several requests, each request's own
/// Transaction inside it, and one COMMIT (one append to the log) for all.
class Transaction {
 public:
  /// @brief BEGIN IMMEDIATE on @p db, which must outlive this object; a
  /// savepoint if @p db already has a transaction open.
  /// @throws std::runtime_error if the write lock cannot be taken in time.
  explicit Transaction(Database& db);
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  /// @brief Rolls back unless commit() succeeded. Never throws.
  ~Transaction();
  /// @brief Makes the changes permanent (a nested one: keeps them in the
  /// outer transaction). Statements of the connection still part-way through
  /// their rows are rewound first (read what you need before committing).
  /// @throws std::runtime_error on failure (the destructor then rolls back).
  void commit();

 private:
  Database& db_;
  const bool nested_;  // a savepoint inside another Transaction
  bool committed_ = false;
};

}  // namespace mc
