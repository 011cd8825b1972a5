/// @file bench_load.cpp
/// @brief The load of one measurement point and the checks on its replies.
/// Runs in: cabinet-bench: runLoad in the main thread, runClient in one
/// thread per client. Owns: the client threads and their sessions.
///
/// Each client keeps exactly one request in flight (a closed loop), like a
/// user waiting for the machine: throughput then shows what a request costs
/// end to end, and latency how long the queue in front of it is.
/// Latencies are kept per thread (no lock per request) and merged at the end.
#include "bench_load.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <latch>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <vector>

#include "bench_server.hpp"
#include "client_session.hpp"
#include "protocol.hpp"

namespace mc::bench {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::seconds kCallTimeout{10};
constexpr const char* kProducts[] = {"A1", "A2", "A3", "B1", "B2", "B3", "C1", "C2"};

/// What all client threads of one point share.
struct Shared {
  explicit Shared(const LoadSpec& load) : spec{load}, connected(load.clients) {}
  const LoadSpec& spec;
  std::latch connected;                   // every client has tried to connect
  std::atomic<bool> go{false};            // the window has opened
  std::atomic<bool> stop{false};          // the window has closed
  std::atomic<std::uint64_t> requests{0};  // checked replies so far (progress line)
  std::atomic<std::uint64_t> errors{0};
  Clock::time_point window_end{};         // written before go is set
  std::mutex error_mutex;
  std::string first_error;  // guarded by error_mutex
};

/// One client thread's own results.
struct ClientResult {
  std::vector<std::uint32_t> latencies_us;
};

void noteError(Shared& shared, const std::string& what) {
  shared.errors.fetch_add(1, std::memory_order_relaxed);
  std::scoped_lock lock(shared.error_mutex);
  if (shared.first_error.empty()) shared.first_error = what;
}

Request makeRequest(Command command, std::uint32_t user) {
  Request request;
  request.command = command;
  request.user_id = user;
  return request;
}

/// A call that was answered, whatever the answer.
struct Answer {
  Reply reply;
  bool in_window;  // finished before the window closed
};

/// One client: its session, its place in the mix, what it measured.
class Client {
 public:
  Client(Shared& shared, int index) : shared_{shared}, index_{index} {}

  void run() {
    try {
      session_.emplace(shared_.spec.host, shared_.spec.port, kCallTimeout);
    } catch (const std::exception& error) {
      noteError(shared_, error.what());  // says "connect: ..." itself
    }
    shared_.connected.count_down();
    while (!shared_.go.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    result_.latencies_us.reserve(1 << 16);
    while (session_ && !shared_.stop.load(std::memory_order_relaxed)) {
      if (shared_.spec.checks == Checks::kEcho) {
        echoRound();
      } else {
        cabinetRound();
      }
    }
  }

  ClientResult& result() { return result_; }

 private:
  // Sends one request, times it, counts it. nullopt when the call failed.
  std::optional<Answer> call(Request request) {
    const auto start = Clock::now();
    ClientSession::Result result = session_->call(std::move(request));
    const auto end = Clock::now();
    if (!result.ok) {
      noteError(shared_, "call: " + result.error);
      session_.reset();  // the stream is out of step: this client is done
      return std::nullopt;
    }
    const bool in_window = end <= shared_.window_end;
    if (in_window) {
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(end - start).count();
      result_.latencies_us.push_back(static_cast<std::uint32_t>(us));
      shared_.requests.fetch_add(1, std::memory_order_relaxed);
    }
    return Answer{std::move(result.reply), in_window};
  }

  // Counts a wrong reply; @return false so callers can `return expect(...)`.
  bool wrong(const Reply& reply, const std::string& what) {
    noteError(shared_, what + " (got " + std::string(statusName(reply.status)) + ": " +
                           std::string(reply.fields.find("message").value_or("")) + ")");
    return false;
  }

  bool expectOk(const Reply& reply, Service service, const char* what) {
    if (reply.status != Status::kOk) return wrong(reply, what);
    if (reply.served_by.service != service) return wrong(reply, std::string(what) + " served by the wrong service");
    return true;
  }

  // The same four requests as cabinetRound, with fields of the same sizes;
  // the echo server answers each OK with a reply of cabinetd's size.
  void echoRound() {
    Request pickup = makeRequest(Command::kParcelPickup, user());
    pickup.fields.add("code", "000000");
    Request buy = makeRequest(Command::kVendingBuy, user());
    buy.fields.add("product", kProducts[round_++ % std::size(kProducts)]);
    for (const Request& request : {makeRequest(Command::kParcelDeposit, user()), pickup, buy,
                             makeRequest(Command::kVendingList, user())}) {
      auto answer = call(request);
      if (!answer) return;
      if (answer->reply.status != Status::kOk) wrong(answer->reply, "echo");
    }
  }

  // deposit + pickup, buy, list: four requests (five when a restock is due).
  void cabinetRound() {
    const bool parcel = index_ % 2 == 0;  // half the clients on each locker service
    const Service lockers = parcel ? Service::kParcel : Service::kFood;
    auto deposit = call(makeRequest(parcel ? Command::kParcelDeposit : Command::kFoodDeposit, user()));
    if (!deposit || !expectOk(deposit->reply, lockers, "deposit")) return;
    const auto code = deposit->reply.fields.find("code");
    const auto locker = deposit->reply.fields.find("locker");
    if (!code || !locker) {
      wrong(deposit->reply, "deposit without code or locker");
      return;
    }
    Request pickup = makeRequest(parcel ? Command::kParcelPickup : Command::kFoodPickup, user());
    pickup.fields.add("code", std::string(*code));
    auto opened = call(std::move(pickup));
    if (!opened || !expectOk(opened->reply, lockers, "pickup")) return;
    if (opened->reply.fields.find("locker") != locker) wrong(opened->reply, "pickup opened another locker");
    if (!buy()) return;
    auto list = call(makeRequest(Command::kVendingList, user()));
    if (!list || !expectOk(list->reply, Service::kVending, "list")) return;
    if (list->reply.fields.findAll("item").empty()) wrong(list->reply, "list without items");
  }

  // Buys the next product; sold out is a right answer, then we restock it.
  bool buy() {
    const char* product = kProducts[round_++ % std::size(kProducts)];
    Request request = makeRequest(Command::kVendingBuy, user());
    request.fields.add("product", product);
    auto bought = call(std::move(request));
    if (!bought) return false;
    if (bought->reply.status == Status::kOutOfStock) return restock(product);
    if (!expectOk(bought->reply, Service::kVending, "buy")) return false;
    if (bought->reply.fields.find("product") != product) return wrong(bought->reply, "bought another product");
    return true;
  }

  bool restock(const char* product) {
    Request request = makeRequest(Command::kVendingRestock, user());
    request.fields.add("product", product);
    request.fields.add("qty", "1000");
    request.fields.add("pin", kBenchStaffPin);  // restock is a staff operation
    auto restocked = call(std::move(request));
    return restocked && expectOk(restocked->reply, Service::kVending, "restock");
  }

  std::uint32_t user() const { return static_cast<std::uint32_t>(1000 + index_); }

  Shared& shared_;
  const int index_;
  std::optional<ClientSession> session_;
  std::uint64_t round_ = 0;
  ClientResult result_;
};

double percentile(const std::vector<std::uint32_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto at = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(at, sorted.size() - 1)];
}

// Opens the window, prints progress once a second and samples the server's
// memory until the window closes.
long runWindow(Shared& shared) {
  const LoadSpec& spec = shared.spec;
  const auto start = Clock::now();
  shared.window_end = start + spec.duration;
  shared.go.store(true);
  long rss = residentKib(spec.server_pid);
  std::uint64_t last = 0;
  auto tick = start;
  while (Clock::now() < shared.window_end) {
    tick = std::min(tick + std::chrono::seconds(1), shared.window_end);
    std::this_thread::sleep_until(tick);
    const std::uint64_t now = shared.requests.load();
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    rss = std::max(rss, residentKib(spec.server_pid));
    std::fprintf(stderr, "\r  %-14s %5d clients  %4.1f s  %8.0f req/s  errors %llu   ", spec.label.c_str(),
                 spec.clients, elapsed, static_cast<double>(now - last),
                 static_cast<unsigned long long>(shared.errors.load()));
    last = now;
  }
  shared.stop.store(true);
  std::fprintf(stderr, "\r%100s\r", "");  // clear the progress line
  return rss;
}

}  // namespace

PointResult runLoad(const LoadSpec& spec) {
  Shared shared{spec};
  std::vector<std::unique_ptr<Client>> clients;
  std::vector<std::jthread> threads;
  for (int i = 0; i < spec.clients; ++i) clients.push_back(std::make_unique<Client>(shared, i));
  for (int i = 0; i < spec.clients; ++i) {
    try {
      threads.emplace_back([&client = *clients[i]] { client.run(); });
    } catch (const std::system_error& error) {  // out of threads: run with fewer
      noteError(shared, std::string("thread: ") + error.what());
      shared.connected.count_down(spec.clients - i);  // those will never connect
      break;
    }
  }

  shared.connected.wait();  // bounded: each connect times out after kCallTimeout
  PointResult result;
  result.clients = spec.clients;
  result.server_rss_kib = runWindow(shared);
  threads.clear();  // joins: each thread ends after its call in flight (<= kCallTimeout)

  std::vector<std::uint32_t> all;
  for (auto& client : clients) {
    auto& mine = client->result().latencies_us;
    all.insert(all.end(), mine.begin(), mine.end());
  }
  std::sort(all.begin(), all.end());
  result.seconds = std::chrono::duration<double>(spec.duration).count();
  result.requests = all.size();
  result.errors = shared.errors.load();
  result.throughput_rps = static_cast<double>(all.size()) / result.seconds;
  result.p50_us = percentile(all, 0.50);
  result.p90_us = percentile(all, 0.90);
  result.p99_us = percentile(all, 0.99);
  result.max_us = all.empty() ? 0 : all.back();
  result.first_error = shared.first_error;
  return result;
}

}  // namespace mc::bench
