/// @file cabinet_demo.cpp
/// @brief `cabinet-demo`: many simulated users on one running cabinetd at
/// once, to watch processes and threads serve them; checks every reply.
/// Runs in: the demo process: the main thread and one thread per user, each
/// with its own ClientSession. Owns: the user threads, the hand-off queue.
///
///   cabinet-demo [--host H] [--port P] [--users N] [--rounds R] [--seconds S]
///
/// The users take four roles in turn:
///   courier     deposits R parcels and hands each pickup code to a recipient
///   restaurant  deposits R meals, hands the codes over the same way
///   recipient   takes codes from the hand-off queue and picks the goods up
///   buyer       buys R products; restocks one that has sold out
/// A handed code must open its locker exactly once, with the locker the
/// depositor was told. The demo prints a few live lines, then a table of
/// what each operation got and which processes served it.
///
/// Exit status: 0 when every reply was right; 1 when a reply was wrong or a
/// request failed (timeout, closed connection); 2 for a usage error.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "client_session.hpp"
#include "protocol.hpp"
#include "server_config.hpp"

namespace {

using namespace mc;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kUsage =
    "usage: cabinet-demo [--host H] [--port P] [--users N] [--rounds R] [--seconds S]\n"
    "  --users N    simulated users, at least 4 (default 36)\n"
    "  --rounds R   deposits or buys per courier, restaurant and buyer (default 10)\n"
    "  --seconds S  give up after S seconds (default 60)\n"
    "  --help       print this text and exit\n"
    "restock and status are staff operations: they send the PIN in the environment\n"
    "variable CABINET_PIN (cabinetd --staff-pin), as the cabinet client does\n";

constexpr int kLiveLines = 16;  // live lines printed before going quiet

struct DemoArgs {
  std::string host = "127.0.0.1";
  std::uint16_t port = kDefaultPort;
  int users = 36;
  int rounds = 10;
  int seconds = 60;
  bool help = false;  ///< --help: print the usage, run nothing
};

/// @brief Adds the staff PIN from CABINET_PIN to a restock or status request.
void addStaffPin(Request& request) {
  const char* pin = std::getenv("CABINET_PIN");
  if (pin != nullptr && *pin != '\0') request.fields.add("pin", pin);
}

/// @brief The whole of @p text as an int in [low, high], or nullopt.
std::optional<int> parseInt(std::string_view text, int low, int high) {
  int value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || value < low || value > high) {
    return std::nullopt;
  }
  return value;
}

/// @brief Reads the command line. @return nullopt (after printing why) on a mistake.
std::optional<DemoArgs> parseArgs(int argc, char** argv) {
  DemoArgs args;
  for (int i = 1; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      args.help = true;
      return args;
    }
    if (i + 1 >= argc) {  // a flag without its value: never start on a guess
      std::cerr << "cabinet-demo: " << flag << " needs a value\n" << kUsage;
      return std::nullopt;
    }
    std::string_view value = argv[++i];
    std::optional<int> number;
    if (flag == "--host") {
      args.host = std::string{value};
      continue;
    } else if (flag == "--port") {
      number = parseInt(value, 1, 65535);
      if (number) args.port = static_cast<std::uint16_t>(*number);
    } else if (flag == "--users") {
      number = parseInt(value, 4, 1000);
      if (number) args.users = *number;
    } else if (flag == "--rounds") {
      number = parseInt(value, 1, 100000);
      if (number) args.rounds = *number;
    } else if (flag == "--seconds") {
      number = parseInt(value, 1, 3600);
      if (number) args.seconds = *number;
    }
    if (!number) {
      std::cerr << "cabinet-demo: bad " << flag << " '" << value << "'\n" << kUsage;
      return std::nullopt;
    }
  }
  return args;
}

// ---------------------------------------------------------------------------
// The hand-off queue: depositors give codes to recipients
// ---------------------------------------------------------------------------

/// What a depositor hands to a recipient.
struct Ticket {
  Command pickup;      ///< kParcelPickup or kFoodPickup
  std::string code;    ///< the pickup code the server gave
  std::string locker;  ///< the locker it must open
  int from_user;       ///< who deposited it
};

/// A closable multi-producer multi-consumer queue of tickets. Thread-safe.
class HandoffQueue {
 public:
  /// @brief Adds @p ticket and wakes one recipient.
  void push(Ticket ticket) {
    std::scoped_lock lock{mutex_};
    tickets_.push_back(std::move(ticket));
    changed_.notify_one();
  }

  /// @brief One depositor has finished; the last one closes the queue.
  void producerDone() {
    std::scoped_lock lock{mutex_};
    if (--producers_left_ == 0) changed_.notify_all();
  }

  /// @brief Sets how many depositors will call producerDone. Call before any thread starts.
  void expectProducers(int count) {
    std::scoped_lock lock{mutex_};
    producers_left_ = count;
  }

  /// @brief The next ticket; nullopt once the queue is closed and empty, or at @p deadline.
  std::optional<Ticket> pop(Clock::time_point deadline) {
    std::unique_lock lock{mutex_};
    // Loop: a wake-up may find the ticket already taken by another recipient.
    while (tickets_.empty()) {
      if (producers_left_ == 0) return std::nullopt;  // closed: nothing more will come
      if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) return std::nullopt;
    }
    Ticket ticket = std::move(tickets_.front());
    tickets_.pop_front();
    return ticket;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Ticket> tickets_;  // guarded by mutex_
  int producers_left_ = 0;      // guarded by mutex_
};

// ---------------------------------------------------------------------------
// Results: counts per operation, who served, live lines
// ---------------------------------------------------------------------------

/// Counts for one operation.
struct Counts {
  int ok = 0;
  int refused = 0;  ///< a correct "no": FULL, OUT_OF_STOCK
  int errors = 0;   ///< a wrong reply, or none at all
  std::set<std::uint32_t> pids;
  std::set<std::uint32_t> tids;
};

/// Everything the users report. Thread-safe.
class Tally {
 public:
  /// @brief Records one reply of @p operation with its outcome.
  void reply(const std::string& operation, const Reply& reply, bool refused) {
    std::scoped_lock lock{mutex_};
    Counts& counts = counts_[operation];
    (refused ? counts.refused : counts.ok) += 1;
    counts.pids.insert(reply.served_by.pid);
    counts.tids.insert(reply.served_by.tid);
  }

  /// @brief Records a wrong reply or a failed request, and says why on stderr.
  void error(const std::string& operation, int user, const std::string& why) {
    std::scoped_lock lock{mutex_};
    counts_[operation].errors += 1;
    std::cerr << "ERROR user " << user << " " << operation << ": " << why << "\n";
  }

  /// @brief Prints @p line unless kLiveLines lines were printed already.
  void live(const std::string& line) {
    std::scoped_lock lock{mutex_};
    if (live_lines_ == kLiveLines) std::cout << "  ... (quiet from now on)\n";
    if (live_lines_++ >= kLiveLines) return;
    std::cout << "  " << line << "\n" << std::flush;
  }

  /// @brief The summary table. @return the total number of errors.
  int printSummary() {
    std::scoped_lock lock{mutex_};
    std::printf("\n%-16s %6s %8s %7s  %-24s %s\n", "operation", "ok", "refused", "errors",
                "served by pids", "threads");
    int errors = 0;
    for (const auto& [operation, counts] : counts_) {
      std::string pids;
      for (std::uint32_t pid : counts.pids) {
        if (!pids.empty()) pids += ',';
        pids += std::to_string(pid);
      }
      std::printf("%-16s %6d %8d %7d  %-24s %zu\n", operation.c_str(), counts.ok, counts.refused,
                  counts.errors, pids.c_str(), counts.tids.size());
      errors += counts.errors;
    }
    return errors;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, Counts> counts_;  // guarded by mutex_
  int live_lines_ = 0;                    // guarded by mutex_
};

/// @brief "(parcel service, pid 4121, thread 4127)".
std::string servedBy(const Reply& reply) {
  // Appended piece by piece: "literal" + std::string makes GCC 12 at -O3
  // warn of a memcpy that may overlap (-Wrestrict), which it cannot.
  std::string text{"("};
  text += serviceName(reply.served_by.service);
  text += " service, pid ";
  text += std::to_string(reply.served_by.pid);
  text += ", thread ";
  text += std::to_string(reply.served_by.tid);
  text += ')';
  return text;
}

std::string field(const Reply& reply, std::string_view key) {
  return std::string{reply.fields.find(key).value_or("")};
}

// ---------------------------------------------------------------------------
// The users
// ---------------------------------------------------------------------------

/// What every user thread shares.
struct World {
  DemoArgs args;
  Clock::time_point deadline;
  HandoffQueue handoff;
  Tally tally;
};

/// One simulated user: a connection and a role.
class User {
 public:
  User(World& world, int id) : world_{world}, id_{id}, random_(static_cast<unsigned>(id) + 7) {}

  /// @brief Plays the role this user's number gives it, to the end.
  void run() {
    try {
      session_.emplace(world_.args.host, world_.args.port, std::chrono::seconds(10));
    } catch (const std::exception& e) {
      world_.tally.error("connect", id_, e.what());
      if (isDepositor()) world_.handoff.producerDone();
      return;
    }
    switch (id_ % 4) {
      case 0: deposit(Command::kParcelDeposit, "courier", "parcel"); break;
      case 1: deposit(Command::kFoodDeposit, "restaurant", "meal"); break;
      case 2: pickUp(); break;
      default: shop(); break;
    }
  }

  bool isDepositor() const { return id_ % 4 < 2; }

 private:
  // Sends @p request; a client error is counted here. @return the reply, if one came.
  std::optional<Reply> call(const std::string& operation, Request request) {
    Command command = request.command;
    request.user_id = static_cast<std::uint32_t>(id_);
    ClientSession::Result result = session_->call(std::move(request));
    if (!result.ok) {
      world_.tally.error(operation, id_, result.error);
      return std::nullopt;
    }
    if (result.reply.command != command) {
      world_.tally.error(operation, id_, "reply for another command");
      return std::nullopt;
    }
    return result.reply;
  }

  bool timeIsUp() {
    if (Clock::now() < world_.deadline) return false;
    world_.tally.error("deadline", id_, "still busy after --seconds");
    return true;
  }

  // A courier or a restaurant: deposit, hand the code over; retry when FULL.
  void deposit(Command command, const std::string& role, const std::string& goods) {
    const bool parcel = command == Command::kParcelDeposit;
    const std::string operation = parcel ? "parcel deposit" : "food deposit";
    const char prefix = parcel ? 'P' : 'F';
    for (int done = 0; done < world_.args.rounds && !timeIsUp();) {
      Request request;
      request.command = command;
      std::optional<Reply> reply = call(operation, std::move(request));
      if (!reply) break;  // the connection is gone
      if (reply->status == Status::kFull) {
        world_.tally.reply(operation, *reply, true);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // wait for a pickup
        continue;
      }
      std::string code = field(*reply, "code");
      std::string locker = field(*reply, "locker");
      if (reply->status != Status::kOk || code.size() != 6 || locker.empty() || locker[0] != prefix) {
        world_.tally.error(operation, id_, std::string{statusName(reply->status)} + " " +
                                               field(*reply, "message"));
        ++done;  // counted as an error; do not retry it forever
        continue;
      }
      world_.tally.reply(operation, *reply, false);
      world_.tally.live(role + " " + std::to_string(id_) + " stored a " + goods + " in " + locker +
                        ", code " + code + "  " + servedBy(*reply));
      Command pickup = parcel ? Command::kParcelPickup : Command::kFoodPickup;
      world_.handoff.push(Ticket{pickup, code, locker, id_});
      ++done;
    }
    world_.handoff.producerDone();
  }

  // A recipient: every handed code must open its locker, once.
  void pickUp() {
    while (std::optional<Ticket> ticket = world_.handoff.pop(world_.deadline)) {
      bool parcel = ticket->pickup == Command::kParcelPickup;
      const std::string operation = parcel ? "parcel pickup" : "food pickup";
      Request request;
      request.command = ticket->pickup;
      request.fields.add("code", ticket->code);
      std::optional<Reply> reply = call(operation, std::move(request));
      if (!reply) return;
      if (reply->status != Status::kOk || field(*reply, "locker") != ticket->locker) {
        world_.tally.error(operation, id_, "code " + ticket->code + " from user " +
                                               std::to_string(ticket->from_user) + " gave " +
                                               std::string{statusName(reply->status)} +
                                               " locker '" + field(*reply, "locker") +
                                               "', expected " + ticket->locker);
        continue;
      }
      world_.tally.reply(operation, *reply, false);
      world_.tally.live("recipient " + std::to_string(id_) + " opened " + ticket->locker +
                        " with code " + ticket->code + "  " + servedBy(*reply));
    }
  }

  // A buyer: buy random products; restock one that is sold out.
  void shop() {
    static const char* const kProducts[] = {"A1", "A2", "A3", "B1", "B2", "B3", "C1", "C2"};
    for (int done = 0; done < world_.args.rounds && !timeIsUp(); ++done) {
      std::string product = kProducts[random_() % std::size(kProducts)];
      Request request;
      request.command = Command::kVendingBuy;
      request.fields.add("product", product);
      std::optional<Reply> reply = call("buy", std::move(request));
      if (!reply) return;
      if (reply->status == Status::kOutOfStock) {
        world_.tally.reply("buy", *reply, true);
        restock(product);
      } else if (reply->status == Status::kOk && field(*reply, "product") == product) {
        world_.tally.reply("buy", *reply, false);
        world_.tally.live("buyer " + std::to_string(id_) + " bought " + field(*reply, "name") +
                          ", " + field(*reply, "stock") + " left  " + servedBy(*reply));
      } else {
        world_.tally.error("buy", id_, std::string{statusName(reply->status)} + " " +
                                           field(*reply, "message"));
      }
    }
  }

  void restock(const std::string& product) {
    Request request;
    request.command = Command::kVendingRestock;
    request.fields.add("product", product);
    request.fields.add("qty", "5");
    addStaffPin(request);
    std::optional<Reply> reply = call("restock", std::move(request));
    if (!reply) return;
    if (reply->status != Status::kOk) {
      world_.tally.error("restock", id_, std::string{statusName(reply->status)});
      return;
    }
    world_.tally.reply("restock", *reply, false);
    world_.tally.live("buyer " + std::to_string(id_) + " restocked " + product + " to " +
                      field(*reply, "stock") + "  " + servedBy(*reply));
  }

  World& world_;
  int id_;
  std::minstd_rand random_;
  std::optional<ClientSession> session_;
};

/// @brief parcel.occupied and food.occupied from a status request, or nullopt.
std::optional<std::pair<std::string, std::string>> occupancy(const DemoArgs& args) {
  try {
    ClientSession session{args.host, args.port, std::chrono::seconds(10)};
    Request request;
    request.command = Command::kStatus;
    addStaffPin(request);
    ClientSession::Result result = session.call(std::move(request));
    if (!result.ok || result.reply.status != Status::kOk) return std::nullopt;
    return std::pair{field(result.reply, "parcel.occupied"), field(result.reply, "food.occupied")};
  } catch (const std::exception&) {
    return std::nullopt;  // cannot connect
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);  // a vanished server is an error reply, not a crash
  std::optional<DemoArgs> args = parseArgs(argc, argv);
  if (!args) return 2;
  if (args->help) {
    std::cout << kUsage;
    return 0;
  }

  auto before = occupancy(*args);
  if (!before) {
    std::cerr << "cabinet-demo: no cabinetd answering on " << args->host << ":" << args->port << "\n";
    return 1;
  }
  std::cout << "cabinet-demo: " << args->users << " users on " << args->host << ":" << args->port
            << " (couriers, restaurants, recipients, buyers)\n";

  World world;
  world.args = *args;
  world.deadline = Clock::now() + std::chrono::seconds(args->seconds);
  std::vector<User> users;
  users.reserve(static_cast<std::size_t>(args->users));  // threads keep pointers to them
  int depositors = 0;
  for (int id = 0; id < args->users; ++id) {
    users.emplace_back(world, id);
    if (users.back().isDepositor()) ++depositors;
  }
  world.handoff.expectProducers(depositors);
  {
    std::vector<std::jthread> threads;
    for (User& user : users) threads.emplace_back([&user] { user.run(); });
  }  // every call has a 10 s timeout and every loop the deadline, so these joins end

  int errors = world.tally.printSummary();
  // Every handed code was picked up, so the cabinets are as full as before.
  auto after = occupancy(*args);
  if (!after || *after != *before) {
    std::cerr << "cabinet-demo: occupancy changed: parcel " << before->first << " -> "
              << (after ? after->first : "?") << ", food " << before->second << " -> "
              << (after ? after->second : "?") << "\n";
    ++errors;
  }
  std::cout << (errors == 0 ? "all replies correct\n" : "SOME REPLIES WERE WRONG\n");
  return errors == 0 ? 0 : 1;
}
