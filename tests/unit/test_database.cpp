/// @file test_database.cpp
/// @brief The Database wrapper: its statement cache (a statement borrowed
/// from the cache comes back rewound and unbound, never leaks a row or an open
/// read into the next use, and survives moves and a second live borrower of
/// the same text) and its one-owner rule (the file is held exclusively).
/// Runs in: the test process (no server).
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <string>

#include "database.hpp"

namespace mc {
namespace {

class DatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("mc-database-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path file() const { return dir_ / "test.db"; }

  /// A table t(x) holding 1, 2, 3.
  static void fillOneTwoThree(Database& db) {
    db.exec("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2), (3);");
  }

  std::filesystem::path dir_;
};

TEST_F(DatabaseTest, ReusedStatementStartsAtTheFirstRowAgain) {
  Database db{file()};
  fillOneTwoThree(db);
  constexpr const char* kAll = "SELECT x FROM t ORDER BY x";
  {
    Statement all = db.prepare(kAll);
    ASSERT_TRUE(all.step());
    ASSERT_TRUE(all.step());
    EXPECT_EQ(all.columnInt(0), 2);
  }  // left after two of three rows: back in the cache, must be rewound
  Statement again = db.prepare(kAll);
  ASSERT_TRUE(again.step());
  EXPECT_EQ(again.columnInt(0), 1);
}

TEST_F(DatabaseTest, ReusedStatementKeepsNoBindingOfTheLastUse) {
  Database db{file()};
  constexpr const char* kIsNull = "SELECT ?1 IS NULL";
  {
    Statement bound = db.prepare(kIsNull);
    bound.bind(1, std::int64_t{7});
    ASSERT_TRUE(bound.step());
    EXPECT_EQ(bound.columnInt(0), 0);
  }
  Statement unbound = db.prepare(kIsNull);
  ASSERT_TRUE(unbound.step());
  EXPECT_EQ(unbound.columnInt(0), 1) << "the 7 of the last borrower is still bound";
}

// A statement stopped after its first row holds a read transaction; if the
// cache kept it that way, a later write in autocommit mode would stay
// uncommitted (autocommit waits for every statement), and closing the
// connection would throw it away.
TEST_F(DatabaseTest, AbandonedReadDoesNotHoldBackLaterWrites) {
  {
    Database db{file()};
    fillOneTwoThree(db);
    {
      Statement first = db.prepare("SELECT x FROM t ORDER BY x");
      ASSERT_TRUE(first.step());
    }
    db.exec("INSERT INTO t VALUES (4)");
  }
  Database reopened{file()};
  EXPECT_EQ(reopened.queryInt("SELECT COUNT(*) FROM t"), 4);
}

// A SELECT that returned its row and was left there (LIMIT 1, read, then the
// UPDATE) still holds a read when the transaction commits. Were that read
// left open past COMMIT, SQLite could never checkpoint the log nor start it
// over, and the -wal file would grow by every commit: three times the
// checkpoint interval of commits would leave three intervals of log.
TEST_F(DatabaseTest, ReadOpenAtCommitDoesNotStopTheLogFromBeingCheckpointed) {
  Database db{file()};
  fillOneTwoThree(db);
  const std::int64_t interval = db.queryInt("PRAGMA wal_autocheckpoint");  // pages
  for (std::int64_t n = 0; n < 3 * interval; ++n) {
    Transaction tx{db};
    Statement first = db.prepare("SELECT x FROM t ORDER BY x LIMIT 1");
    ASSERT_TRUE(first.step());  // a row, and the read stays open
    Statement bump = db.prepare("UPDATE t SET x = x + 1 WHERE x = ?");
    bump.bind(1, first.columnInt(0));
    bump.step();
    tx.commit();  // one page changed: one frame in the log
  }
  // A log frame is a page plus a 24-byte header; a few frames of slack.
  const std::int64_t page = db.queryInt("PRAGMA page_size");
  const auto most = static_cast<std::uintmax_t>((interval + 16) * (page + 24));
  const std::filesystem::path log = dir_ / "test.db-wal";
  ASSERT_TRUE(std::filesystem::exists(log));
  EXPECT_LE(std::filesystem::file_size(log), most) << "the log was never checkpointed";
}

// A Transaction inside another is a savepoint: rolling it back undoes only
// its own change, committing it keeps its change in the outer transaction.
TEST_F(DatabaseTest, NestedTransactionRollsBackOnlyItsOwnChanges) {
  Database db{file()};
  fillOneTwoThree(db);
  {
    Transaction outer{db};
    db.exec("INSERT INTO t VALUES (4)");
    {
      Transaction kept{db};
      db.exec("INSERT INTO t VALUES (5)");
      kept.commit();
    }
    {
      Transaction dropped{db};  // never committed: rolled back to where it began
      db.exec("INSERT INTO t VALUES (6)");
    }
    EXPECT_TRUE(db.inTransaction()) << "the inner rollback ended the outer transaction";
    outer.commit();
  }
  EXPECT_FALSE(db.inTransaction());
  EXPECT_EQ(db.queryInt("SELECT COUNT(*) FROM t"), 5);
  EXPECT_EQ(db.queryInt("SELECT COUNT(*) FROM t WHERE x = 6"), 0);
}

// Nothing is durable until the outermost commit: an inner commit inside an
// outer transaction that rolls back is lost with it (so a group commit must
// not reply before its one COMMIT).
TEST_F(DatabaseTest, NestedCommitIsUndoneWithItsOuterTransaction) {
  {
    Database db{file()};
    fillOneTwoThree(db);
    Transaction outer{db};
    {
      Transaction inner{db};
      db.exec("INSERT INTO t VALUES (4)");
      inner.commit();
    }
  }  // outer never committed; the connection closes
  Database reopened{file()};
  EXPECT_EQ(reopened.queryInt("SELECT COUNT(*) FROM t"), 3);
}

TEST_F(DatabaseTest, TwoLiveStatementsOfOneTextAreIndependent) {
  Database db{file()};
  fillOneTwoThree(db);
  constexpr const char* kAll = "SELECT x FROM t ORDER BY x";
  Statement outer = db.prepare(kAll);
  ASSERT_TRUE(outer.step());
  ASSERT_TRUE(outer.step());  // outer on row 2
  {
    Statement inner = db.prepare(kAll);  // the cached one is lent: a fresh copy
    ASSERT_TRUE(inner.step());
    EXPECT_EQ(inner.columnInt(0), 1);
  }
  EXPECT_EQ(outer.columnInt(0), 2);
  ASSERT_TRUE(outer.step());
  EXPECT_EQ(outer.columnInt(0), 3);
  EXPECT_FALSE(outer.step());
}

TEST_F(DatabaseTest, MovedStatementGivesItsLoanBackOnce) {
  Database db{file()};
  fillOneTwoThree(db);
  constexpr const char* kCount = "SELECT COUNT(*) FROM t";
  {
    Statement first = db.prepare(kCount);
    Statement second = std::move(first);
    ASSERT_TRUE(second.step());
    EXPECT_EQ(second.columnInt(0), 3);
    Statement third = db.prepare("SELECT 1");
    third = std::move(second);  // third's own loan goes back; it now holds the count
    EXPECT_EQ(third.columnInt(0), 3);
  }
  EXPECT_EQ(db.queryInt(kCount), 3);
  EXPECT_EQ(db.queryInt("SELECT 1"), 1);
}

TEST_F(DatabaseTest, CachedStatementFollowsSchemaChanges) {
  Database db{file()};
  fillOneTwoThree(db);
  constexpr const char* kSum = "SELECT SUM(x) FROM t";
  EXPECT_EQ(db.queryInt(kSum), 6);  // compiled and cached
  db.exec("ALTER TABLE t ADD COLUMN y INTEGER; INSERT INTO t (x) VALUES (10);");
  EXPECT_EQ(db.queryInt(kSum), 16);  // SQLite recompiles the stale statement
  db.exec("DROP TABLE t");
  try {
    db.queryInt(kSum);
    FAIL() << "a cached statement on a dropped table ran";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string{error.what()}.find("no such table"), std::string::npos) << error.what();
  }
}

TEST_F(DatabaseTest, TransactionsCommitAndRollBackManyTimes) {
  Database db{file()};
  db.exec("CREATE TABLE t (x INTEGER)");
  for (int round = 0; round < 50; ++round) {
    {
      Transaction kept{db};
      Statement insert = db.prepare("INSERT INTO t VALUES (?)");
      insert.bind(1, std::int64_t{1});
      insert.step();
      kept.commit();
    }
    {
      Transaction dropped{db};
      Statement insert = db.prepare("INSERT INTO t VALUES (?)");
      insert.bind(1, std::int64_t{100});
      insert.step();
    }  // no commit: rolled back
  }
  EXPECT_EQ(db.queryInt("SELECT COALESCE(SUM(x), 0) FROM t"), 50);
}

TEST_F(DatabaseTest, MovedDatabaseKeepsItsCache) {
  Database first{file()};
  fillOneTwoThree(first);
  EXPECT_EQ(first.queryInt("SELECT MAX(x) FROM t"), 3);
  Database second = std::move(first);
  EXPECT_EQ(second.queryInt("SELECT MAX(x) FROM t"), 3);
  Database third{dir_ / "other.db"};
  third = std::move(second);  // closes other.db, takes over test.db
  EXPECT_EQ(third.queryInt("SELECT MAX(x) FROM t"), 3);
}

TEST_F(DatabaseTest, ManyDistinctTextsStillWorkPastTheCacheBound) {
  Database db{file()};
  for (int n = 0; n < 200; ++n) {
    const std::string sql = "SELECT " + std::to_string(n) + " + 1";
    EXPECT_EQ(db.queryInt(sql), n + 1);
    EXPECT_EQ(db.queryInt(sql), n + 1);  // again: cached, or compiled afresh past the bound
  }
}

TEST_F(DatabaseTest, OpensInWalModeHeldExclusively) {
  Database db{file()};
  EXPECT_EQ(db.queryInt("PRAGMA wal_autocheckpoint"), 4000);
  Statement mode = db.prepare("PRAGMA locking_mode");
  ASSERT_TRUE(mode.step());
  EXPECT_EQ(mode.columnText(0), "exclusive");
}

// Small pages: a commit appends each page it changed, whole, to the log
// (database.cpp, kPageBytes says why 1 KiB).
TEST_F(DatabaseTest, NewFileHasSmallPages) {
  {
    Database db{file()};
    fillOneTwoThree(db);
    EXPECT_EQ(db.queryInt("PRAGMA page_size"), 1024);
  }
  Database reopened{file()};
  EXPECT_EQ(reopened.queryInt("PRAGMA page_size"), 1024);
  EXPECT_EQ(reopened.queryInt("SELECT COUNT(*) FROM t"), 3);
}

// A data dir made before pages were small (4 KiB, SQLite's default) opens and
// works as it is: the page size of a file with tables cannot change in WAL
// mode, and asking for another must not fail the open.
TEST_F(DatabaseTest, OlderFileKeepsItsPageSizeAndItsRows) {
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(file().c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw,
                         "PRAGMA page_size=4096; PRAGMA journal_mode=WAL;"
                         "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2), (3);",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
  {
    Database db{file()};
    EXPECT_EQ(db.queryInt("PRAGMA page_size"), 4096);
    Transaction tx{db};
    db.exec("INSERT INTO t VALUES (4)");
    tx.commit();
  }
  Database reopened{file()};
  EXPECT_EQ(reopened.queryInt("PRAGMA page_size"), 4096);
  EXPECT_EQ(reopened.queryInt("SELECT COUNT(*) FROM t"), 4);
}

// One database, one owner: a second connection (here in the same process;
// another cabinetd on the same data dir is the real case) is refused after
// the busy timeout, and the file is free again once the owner closes it.
TEST_F(DatabaseTest, SecondConnectionIsRefusedWhileTheOwnerHasItOpen) {
  {
    Database owner{file()};
    fillOneTwoThree(owner);
    try {
      Database intruder{file()};
      FAIL() << "a second connection opened a database that has an owner";
    } catch (const std::runtime_error& error) {
      EXPECT_NE(std::string{error.what()}.find("locked"), std::string::npos) << error.what();
    }
  }
  Database next{file()};
  EXPECT_EQ(next.queryInt("SELECT COUNT(*) FROM t"), 3);
}

}  // namespace
}  // namespace mc
