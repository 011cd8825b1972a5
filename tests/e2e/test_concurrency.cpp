/// @file test_concurrency.cpp
/// @brief Many clients at once against one cabinetd (stages 2, 3, 4): every
/// reply must belong to its own request, no pickup code or locker is ever held
/// by two clients, and no sale is lost (final stock = start + restocks - buys).
/// Runs in: the e2e test process: the main thread starts the server and 64
/// client threads (16 under a sanitizer), each with its own JudgeSession.
///
/// Stage 1 serves one client at a time by design, so it is not run here.
/// Linked into lab 6's tests too (labNumber() == 6), it runs stage 4 with --pool.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "server_process.hpp"
#include "test_client.hpp"

namespace mc::test {
namespace {

using Clock = std::chrono::steady_clock;

// Under ThreadSanitizer (the grader's race check) or ASan every access costs
// 5-15 times more; a race shows as soon as two threads touch the state
// without an order between them, which 16 clients do within their first
// requests. So the load shrinks to an eighth there.
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
constexpr int kClients = 16;
constexpr int kRequestsPerClient = 100;
#else
constexpr int kClients = 64;
constexpr int kRequestsPerClient = 200;
#endif
constexpr int kLockers = 200;                   // > kClients: a deposit is never FULL
constexpr int kRestockRounds = 3;               // restocks of 100 per product before the load
constexpr auto kTestDeadline = 120s;            // the whole load, even under TSan
constexpr std::size_t kMaxReportedFailures = 20;

/// What the client threads found out, checked by the main thread at the end.
class LoadRecord {
 public:
  /// @brief Notes a wrong reply (or error). Thread-safe.
  void fail(int client, const std::string& what) {
    std::scoped_lock lock{mutex_};
    ++failure_count_;
    if (failures_.size() < kMaxReportedFailures) {
      failures_.push_back("client " + std::to_string(client) + ": " + what);
    }
  }

  /// @brief @p client now holds @p code in @p locker of @p service ("parcel",
  /// "food"). Fails if another client holds either. Thread-safe.
  void claim(int client, const std::string& service, const std::string& code,
             const std::string& locker) {
    std::scoped_lock lock{mutex_};
    auto [code_it, code_new] = held_codes_.emplace(service + "/" + code, client);
    auto [locker_it, locker_new] = held_lockers_.emplace(service + "/" + locker, client);
    if (!code_new) {
      ++failure_count_;
      failures_.push_back(service + " code " + code + " handed to client " +
                          std::to_string(client) + " while client " +
                          std::to_string(code_it->second) + " held it");
    }
    if (!locker_new) {
      ++failure_count_;
      failures_.push_back(service + " locker " + locker + " handed to client " +
                          std::to_string(client) + " while client " +
                          std::to_string(locker_it->second) + " held it");
    }
  }

  /// @brief @p client gives @p code and @p locker up. Called BEFORE the
  /// pickup is sent: the server may reuse them as soon as it runs the pickup,
  /// and by then nobody may still count them as held. Thread-safe.
  void release(int client, const std::string& service, const std::string& code,
               const std::string& locker) {
    std::scoped_lock lock{mutex_};
    auto code_it = held_codes_.find(service + "/" + code);
    if (code_it != held_codes_.end() && code_it->second == client) held_codes_.erase(code_it);
    auto locker_it = held_lockers_.find(service + "/" + locker);
    if (locker_it != held_lockers_.end() && locker_it->second == client) {
      held_lockers_.erase(locker_it);
    }
  }

  /// @brief A successful buy of @p product that left @p stock. Thread-safe.
  void sold(const std::string& product, long stock) {
    std::scoped_lock lock{mutex_};
    stocks_after_sale_[product].push_back(stock);
  }

  /// @brief The process and thread that served a reply of @p service. Thread-safe.
  void servedBy(Service service, std::uint32_t pid, std::uint32_t tid) {
    std::scoped_lock lock{mutex_};
    pids_[service].insert(pid);
    tids_.insert(tid);
  }

  // The accessors below are for the main thread once every client has finished.
  int failureCount() const { return failure_count_; }
  const std::vector<std::string>& failures() const { return failures_; }
  const std::map<std::string, std::vector<long>>& stocksAfterSale() const {
    return stocks_after_sale_;
  }
  const std::map<Service, std::set<std::uint32_t>>& pids() const { return pids_; }
  std::size_t distinctTids() const { return tids_.size(); }

 private:
  std::mutex mutex_;
  int failure_count_ = 0;                                   // guarded by mutex_
  std::vector<std::string> failures_;                       // guarded by mutex_
  std::map<std::string, int> held_codes_;                   // guarded by mutex_
  std::map<std::string, int> held_lockers_;                 // guarded by mutex_
  std::map<std::string, std::vector<long>> stocks_after_sale_;  // guarded by mutex_
  std::map<Service, std::set<std::uint32_t>> pids_;         // guarded by mutex_
  std::set<std::uint32_t> tids_;                            // guarded by mutex_
};

const std::vector<std::string> kProducts = {"A1", "A2", "A3", "B1", "B2", "B3", "C1", "C2"};

/// One simulated client: its own connection, a fixed random mix of requests.
class LoadClient {
 public:
  LoadClient(int id, std::uint16_t port, LoadRecord& record, Clock::time_point deadline)
      : id_{id}, port_{port}, record_{record}, deadline_{deadline}, random_(id + 1) {}

  /// @brief Runs kRequestsPerClient requests (or until the deadline), then
  /// picks up whatever it still holds.
  void run() {
    try {
      JudgeSession session{"127.0.0.1", port_, 10s};
      while (sent_ < kRequestsPerClient) {
        if (Clock::now() >= deadline_) {
          record_.fail(id_, "deadline reached after " + std::to_string(sent_) + " requests");
          return;
        }
        if (!runOne(session)) return;  // the connection is unusable
      }
      // Leave the cabinets empty, so the final status can be checked.
      if (parcel_ && !pickUp(session, Service::kParcel, parcel_)) return;
      if (meal_ && !pickUp(session, Service::kFood, meal_)) return;
    } catch (const std::exception& e) {
      record_.fail(id_, std::string{"exception: "} + e.what());
    }
  }

 private:
  // One step of the mix. @return false after a client error.
  bool runOne(JudgeSession& session) {
    switch (random_() % 5) {
      case 0: return depositOrPickup(session, Service::kParcel);
      case 1: return depositOrPickup(session, Service::kFood);
      case 2: return buyOne(session);
      case 3: return listAll(session);
      default: return askStatus(session);
    }
  }

  std::uint32_t userId() const { return static_cast<std::uint32_t>(1000 + id_); }

  // Sends @p request; checks that a reply came for this command and service.
  std::optional<Reply> send(JudgeSession& session, Request request,
                            std::optional<Service> service) {
    Command command = request.command;
    ++sent_;
    JudgeSession::Result result = session.call(std::move(request));
    if (!result.ok) {
      record_.fail(id_, std::string{commandName(command)} + ": " + describe(result));
      return std::nullopt;
    }
    if (result.reply.command != command) {
      record_.fail(id_, "sent " + std::string{commandName(command)} + ", got " + describe(result));
    }
    if (service) {
      if (result.reply.served_by.service != *service) {
        record_.fail(id_, "wrong service for " + std::string{commandName(command)} + ": " +
                              describe(result));
      }
      record_.servedBy(*service, result.reply.served_by.pid, result.reply.served_by.tid);
    }
    return result.reply;
  }

  // What a client holds between its deposit and its pickup.
  struct Held {
    std::string code;
    std::string locker;
  };

  // A parcel or meal step: a deposit when we hold nothing of that kind,
  // otherwise the pickup of what we hold. Holding it across other steps
  // gives other clients time to be (wrongly) handed the same code or locker.
  bool depositOrPickup(JudgeSession& session, Service service) {
    std::optional<Held>& held = service == Service::kParcel ? parcel_ : meal_;
    return held ? pickUp(session, service, held) : deposit(session, service, held);
  }

  static std::string kindOf(Service service) { return std::string{serviceName(service)}; }

  bool deposit(JudgeSession& session, Service service, std::optional<Held>& held) {
    const std::string kind = kindOf(service);
    Request request = service == Service::kParcel ? depositParcel(userId()) : depositFood(userId());
    std::optional<Reply> stored = send(session, std::move(request), service);
    if (!stored) return false;
    if (stored->status != Status::kOk) {
      record_.fail(id_, kind + " deposit refused: " + std::string{statusName(stored->status)});
      return true;
    }
    Held got{fieldOf(*stored, "code"), fieldOf(*stored, "locker")};
    if (!looksLikeCode(got.code) || !looksLikeLocker(got.locker, kind == "parcel" ? 'P' : 'F')) {
      record_.fail(id_, kind + " deposit gave code '" + got.code + "' locker '" + got.locker + "'");
      return true;
    }
    record_.claim(id_, kind, got.code, got.locker);
    held = std::move(got);
    return true;
  }

  // Our own code: OK, the same locker, every time.
  bool pickUp(JudgeSession& session, Service service, std::optional<Held>& held) {
    const std::string kind = kindOf(service);
    Held mine = std::move(*held);
    held.reset();
    record_.release(id_, kind, mine.code, mine.locker);  // before the server may reuse them
    Command command = service == Service::kParcel ? Command::kParcelPickup : Command::kFoodPickup;
    std::optional<Reply> picked =
        send(session, makeRequest(command, {{"code", mine.code}}, userId()), service);
    if (!picked) return false;
    if (picked->status != Status::kOk || fieldOf(*picked, "locker") != mine.locker) {
      record_.fail(id_, kind + " pickup of own code " + mine.code + " in " + mine.locker +
                            " gave " + std::string{statusName(picked->status)} + " locker '" +
                            fieldOf(*picked, "locker") + "'");
    }
    return true;
  }

  bool buyOne(JudgeSession& session) {
    const std::string& product = kProducts[random_() % kProducts.size()];
    std::optional<Reply> reply = send(session, buy(product, userId()), Service::kVending);
    if (!reply) return false;
    if (reply->status == Status::kOutOfStock) return true;  // allowed: it sold out
    std::optional<long> stock = intFieldOf(*reply, "stock");
    if (reply->status != Status::kOk || fieldOf(*reply, "product") != product || !stock) {
      record_.fail(id_, "buy " + product + " gave " + std::string{statusName(reply->status)} +
                            " product '" + fieldOf(*reply, "product") + "'");
      return true;
    }
    record_.sold(product, *stock);
    return true;
  }

  bool listAll(JudgeSession& session) {
    std::optional<Reply> reply = send(session, listProducts(), Service::kVending);
    if (!reply) return false;
    std::optional<std::vector<Product>> products = parseCatalogue(*reply);
    if (reply->status != Status::kOk || !products || products->size() != kProducts.size()) {
      record_.fail(id_, "list gave " + std::string{statusName(reply->status)} + " with " +
                            std::to_string(reply->fields.findAll("item").size()) + " items");
    }
    return true;
  }

  bool askStatus(JudgeSession& session) {
    std::optional<Reply> reply = send(session, status(), std::nullopt);
    if (!reply) return false;
    std::optional<long> occupied = intFieldOf(*reply, "parcel.occupied");
    if (reply->status != Status::kOk || intFieldOf(*reply, "parcel.capacity") != kLockers ||
        !occupied || *occupied < 0 || *occupied > kClients) {
      record_.fail(id_, "status gave " + std::string{statusName(reply->status)} +
                            " parcel.occupied " + fieldOf(*reply, "parcel.occupied"));
    }
    return true;
  }

  int id_;
  std::uint16_t port_;
  LoadRecord& record_;
  Clock::time_point deadline_;
  std::minstd_rand random_;
  int sent_ = 0;
  std::optional<Held> parcel_;  // deposited, not yet picked up
  std::optional<Held> meal_;
};

/// Starts one thread per client and joins them all, or gives up (aborting
/// the test process) if they are not done by @p limit: a hung thread cannot
/// be joined, and a test must not hang.
class ClientThreads {
 public:
  void start(std::function<void()> body) {
    threads_.emplace_back([this, body = std::move(body)] {
      body();
      std::scoped_lock lock{mutex_};
      ++finished_;
      all_done_.notify_all();
    });
  }

  /// @brief Joins every thread if all finish within @p limit.
  void joinWithin(std::chrono::milliseconds limit) {
    std::unique_lock lock{mutex_};
    if (!all_done_.wait_for(lock, limit, [this] { return finished_ == threads_.size(); })) {
      abortTest(std::to_string(threads_.size() - finished_) + " of " + std::to_string(threads_.size()) +
                " client threads still running after " + std::to_string(limit.count()) + " ms");
    }
    lock.unlock();
    for (std::thread& thread : threads_) thread.join();  // each has returned from body()
  }

 private:
  std::mutex mutex_;
  std::condition_variable all_done_;
  std::size_t finished_ = 0;  // guarded by mutex_
  std::vector<std::thread> threads_;
};

// What most often breaks the mixed load at @p stage (with --pool: lab 6), in
// the words of that lab's handout.
std::string likelyCause(const ServerOptions& options) {
  if (!options.extra_args.empty()) {
    return " Lab 6's workers run answerRecords on one ServiceState at once: it must hold state_mutex "
           "around each batch.";
  }
  switch (options.stage) {
    case 2:
      return " At stage 2 many threads share each service's state: InlineDispatcher::dispatch must hold "
             "the service's mutex (a named std::scoped_lock) around the whole handle() call, and each "
             "connection thread must own its ClientHandle. Known mistakes: no lock in dispatch, the thread "
             "given &client; see labs/02-threads/README.md, 'Classic mistakes'.";
    case 3:
      return " At stage 3 many threads share each child's reply pipe: PipeDispatcher::dispatch must hold "
             "the service's mutex for the whole round trip (write the record, then read the reply). Known "
             "mistake: the mutex held only around the write, or only around the read; see "
             "labs/03-fork-pipes/README.md, 'Classic mistakes'.";
    default:
      return " At stage 4 each request has its own reply slot: the record names the slot taken from the "
             "pool, the child answers in slots[s] and posts slots[s].feedback, and only that slot's owner "
             "waits on it. Known mistakes: one feedback semaphore per service, every request using slot "
             "0; see labs/04-semaphores/README.md, 'Classic mistakes'.";
  }
}

// The whole check, for a server started with @p options (stage 2, 3 or 4,
// with or without --pool).
void runMixedLoad(ServerOptions options, const std::string& label) {
  options.parcel_lockers = kLockers;
  options.food_slots = kLockers;
  ServerProcess server{options};

  JudgeSession admin = server.connect();
  std::map<std::string, int> initial = stockByProduct(admin);
  ASSERT_EQ(initial.size(), kProducts.size()) << "the catalogue of a fresh data dir, before any load";
  std::map<std::string, int> restocked;
  for (const std::string& product : kProducts) {
    for (int round = 0; round < kRestockRounds; ++round) {
      callExpecting(admin, restock(product, 100), Status::kOk);
      restocked[product] += 100;
    }
  }
  ASSERT_FALSE(::testing::Test::HasFailure()) << "restock failed; the load would prove nothing";

  LoadRecord record;
  Clock::time_point started = Clock::now();
  Clock::time_point deadline = started + kTestDeadline;
  {
    ClientThreads threads;
    std::vector<std::unique_ptr<LoadClient>> clients;
    for (int id = 0; id < kClients; ++id) {
      clients.push_back(std::make_unique<LoadClient>(id, server.port(), record, deadline));
      threads.start([client = clients.back().get()] { client->run(); });
    }
    // A call is bounded by its 10 s timeout, so every thread stops soon after the deadline.
    threads.joinWithin(std::chrono::duration_cast<std::chrono::milliseconds>(kTestDeadline + 30s));
  }
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  std::printf("[ load     ] %s: %d clients x %d requests in %lld ms\n", label.c_str(),
              kClients, kRequestsPerClient, static_cast<long long>(took.count()));

  std::ostringstream report;
  for (const std::string& failure : record.failures()) report << "  " << failure << "\n";
  EXPECT_EQ(record.failureCount(), 0) << "wrong replies (the first " << kMaxReportedFailures
                                      << " below)." << likelyCause(options) << "\n" << report.str();

  // No lost update: every successful buy took exactly one item, and each one
  // saw a different remaining stock (two buys seeing the same stock means
  // they both read it before either wrote it).
  std::map<std::string, int> final_stock = stockByProduct(admin);
  for (const std::string& product : kProducts) {
    std::vector<long> seen;
    auto found = record.stocksAfterSale().find(product);
    if (found != record.stocksAfterSale().end()) seen = found->second;
    std::sort(seen.begin(), seen.end());
    const int bought = static_cast<int>(seen.size());
    EXPECT_EQ(final_stock[product], initial[product] + restocked[product] - bought)
        << product << ": " << bought << " bought: a sale was lost or counted twice." << likelyCause(options);
    for (int i = 0; i < bought; ++i) {
      if (seen[i] != final_stock[product] + i) {
        ADD_FAILURE() << product << ": the buys' remaining stocks are not "
                      << final_stock[product] << ".." << final_stock[product] + bought - 1
                      << " each once (lost or doubled update near " << seen[i] << ")." << likelyCause(options);
        break;
      }
    }
  }

  Reply after = callExpecting(admin, status(), Status::kOk);
  EXPECT_EQ(intFieldOf(after, "parcel.occupied"), 0)
      << "every parcel was picked up, yet STATUS counts some still there: " << after << "." << likelyCause(options);
  EXPECT_EQ(intFieldOf(after, "food.occupied"), 0)
      << "every meal was picked up, yet STATUS counts some still there: " << after << "." << likelyCause(options);

  // Who served: the server itself in stage 2, one child per service after.
  auto server_pid = static_cast<std::uint32_t>(server.pid());
  std::set<std::uint32_t> service_pids;
  for (Service service : kServices) {
    auto found = record.pids().find(service);
    ASSERT_TRUE(found != record.pids().end()) << serviceName(service) << " never served";
    EXPECT_EQ(found->second.size(), 1u)
        << serviceName(service) << " served from several pids: one process per service, started once";
    service_pids.insert(found->second.begin(), found->second.end());
  }
  if (options.stage == 2) {
    EXPECT_EQ(service_pids, std::set<std::uint32_t>{server_pid})
        << "at stage 2 every service runs inside the server process (InlineDispatcher)";
    EXPECT_GT(record.distinctTids(), 1u) << "stage 2 serves each connection on its own thread";
  } else {
    EXPECT_EQ(service_pids.size(), 3u) << "from stage 3 on, each service runs in a child process of its own";
    EXPECT_FALSE(service_pids.contains(server_pid))
        << "from stage 3 on, no service runs in the server process: requests go down the children's pipes";
  }
}

class Concurrency : public ::testing::TestWithParam<int> {};

TEST_P(Concurrency, ManyClientsMixedRequests) {
  ServerOptions options;
  options.stage = GetParam();
  runMixedLoad(options, "stage " + std::to_string(GetParam()));
}

// Lab 6 (optional): stage 4 with a pool of N workers per service child, each
// taking every record waiting for it as one batch. One worker (batches only
// in turn), several (batches at once, taking turns on the state). Only lab 6
// runs the pools, and only lab 6 does not run the stages.
class PoolConcurrency : public ::testing::TestWithParam<int> {};

TEST_P(PoolConcurrency, ManyClientsMixedRequests) {
  ServerOptions options;
  options.stage = 4;
  options.extra_args = {"--pool", std::to_string(GetParam())};
  runMixedLoad(options, "stage 4 --pool " + std::to_string(GetParam()));
}

std::vector<int> poolSizes() { return labNumber() == 6 ? std::vector<int>{1, 4} : std::vector<int>{}; }
std::vector<int> mixedLoadStages() { return labNumber() == 6 ? std::vector<int>{} : labStagesFrom(2); }

INSTANTIATE_TEST_SUITE_P(Pools, PoolConcurrency, ::testing::ValuesIn(poolSizes()),
                         [](const ::testing::TestParamInfo<int>& info) { return "pool" + std::to_string(info.param); });
INSTANTIATE_TEST_SUITE_P(Stages, Concurrency, ::testing::ValuesIn(mixedLoadStages()), stageName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Concurrency);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(PoolConcurrency);

}  // namespace
}  // namespace mc::test
