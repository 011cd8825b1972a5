/// @file test_functional.cpp
/// @brief What each command does, on a real cabinetd, in the stage of the lab
/// being tested (see labStages()); and that a restarted server gets its port
/// back at once.
/// Runs in: the e2e test process; starts one cabinetd per test.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "server_process.hpp"
#include "test_client.hpp"

namespace mc::test {
namespace {

using Clock = std::chrono::steady_clock;

class Functional : public StageTest {};

// @p reply for a failure message; "none" for the default Reply callExpecting
// gives when no reply came (the judge's request ids start at 1).
std::string shown(const Reply& reply) {
  if (reply.request_id == 0 && reply.fields.empty()) return "none (see the failure above)";
  std::ostringstream text;
  text << reply;
  return text.str();
}

// The services are given code: a reply that is wrong here has most likely
// been sent to the wrong service, or lost or changed on the way.
// @return the explanation and @p reply, for a check on a field of @p reply.
std::string routed(const Reply& reply) {
  return ". The services' answers are given code: routeRequest sends each command to the service its "
         "code names, and the reply goes back through your encodeReply, untouched. Reply: " +
         shown(reply);
}

TEST_P(Functional, ParcelDepositThenPickupOnce) {
  ServerProcess server{options()};
  JudgeSession session = server.connect();

  Reply stored = callExpecting(session, depositParcel(7), Status::kOk);
  std::string locker = fieldOf(stored, "locker");
  std::string code = fieldOf(stored, "code");
  EXPECT_TRUE(looksLikeLocker(locker, 'P')) << "a parcel deposit's locker is 'P-' and digits, not '" << locker
                                            << "'" << routed(stored);
  EXPECT_TRUE(looksLikeCode(code)) << "a pickup code is 6 digits, not '" << code << "'" << routed(stored);
  EXPECT_FALSE(fieldOf(stored, "message").empty()) << "every reply carries a message" << routed(stored);

  Reply picked = callExpecting(session, pickupParcel(code, 8), Status::kOk);
  EXPECT_EQ(fieldOf(picked, "locker"), locker) << "the pickup must open the deposit's locker" << routed(picked);
  EXPECT_FALSE(fieldOf(picked, "message").empty()) << "every reply carries a message" << routed(picked);

  callExpecting(session, pickupParcel(code, 8), Status::kWrongCode);  // a code works once
}

TEST_P(Functional, FoodDepositThenPickupOnce) {
  ServerProcess server{options()};
  JudgeSession session = server.connect();

  Reply stored = callExpecting(session, depositFood(3), Status::kOk);
  std::string slot = fieldOf(stored, "locker");
  std::string code = fieldOf(stored, "code");
  EXPECT_TRUE(looksLikeLocker(slot, 'F')) << "a food deposit's slot is 'F-' and digits, not '" << slot << "'"
                                          << routed(stored);
  EXPECT_TRUE(looksLikeCode(code)) << "a pickup code is 6 digits, not '" << code << "'" << routed(stored);

  Reply picked = callExpecting(session, pickupFood(code, 4), Status::kOk);
  EXPECT_EQ(fieldOf(picked, "locker"), slot) << "the pickup must open the deposit's slot" << routed(picked);

  callExpecting(session, pickupFood(code, 4), Status::kWrongCode);
}

TEST_P(Functional, WrongCodesAreRefused) {
  ServerProcess server{options()};
  JudgeSession session = server.connect();

  Reply parcel = callExpecting(session, depositParcel(), Status::kOk);
  Reply food = callExpecting(session, depositFood(), Status::kOk);
  std::string parcel_code = fieldOf(parcel, "code");
  std::string food_code = fieldOf(food, "code");

  // A code that was never handed out (the digit after the real code's last).
  std::string wrong = parcel_code;
  wrong.back() = static_cast<char>('0' + (wrong.back() - '0' + 1) % 10);
  if (wrong != food_code) callExpecting(session, pickupParcel(wrong), Status::kWrongCode);
  // Each service knows only its own codes.
  if (parcel_code != food_code) {
    callExpecting(session, pickupFood(parcel_code), Status::kWrongCode);
  }
  // The refusals did not cost the owners their parcels.
  callExpecting(session, pickupParcel(parcel_code), Status::kOk);
  callExpecting(session, pickupFood(food_code), Status::kOk);
}

TEST_P(Functional, FullAtCapacityUntilAPickup) {
  ServerOptions small = options();
  small.parcel_lockers = 3;
  small.food_slots = 2;
  ServerProcess server{small};
  JudgeSession session = server.connect();

  std::set<std::string> lockers;
  std::vector<std::string> codes;
  for (int i = 0; i < 3; ++i) {
    Reply stored = callExpecting(session, depositParcel(), Status::kOk);
    lockers.insert(fieldOf(stored, "locker"));
    codes.push_back(fieldOf(stored, "code"));
  }
  EXPECT_EQ(lockers.size(), 3u) << "two parcels were given the same locker";
  callExpecting(session, depositParcel(), Status::kFull);

  Reply freed = callExpecting(session, pickupParcel(codes[1]), Status::kOk);
  Reply again = callExpecting(session, depositParcel(), Status::kOk);
  EXPECT_EQ(fieldOf(again, "locker"), fieldOf(freed, "locker")) << "the only free locker" << routed(again);

  callExpecting(session, depositFood(), Status::kOk);
  callExpecting(session, depositFood(), Status::kOk);
  callExpecting(session, depositFood(), Status::kFull);
}

TEST_P(Functional, ListShowsTheDefaultCatalogue) {
  ServerProcess server{options()};
  JudgeSession session = server.connect();

  Reply listed = callExpecting(session, listProducts(), Status::kOk);
  std::optional<std::vector<Product>> products = parseCatalogue(listed);
  ASSERT_TRUE(products.has_value()) << "malformed item in the list reply" << routed(listed);
  auto byCode = [](const Product& a, const Product& b) { return a.code < b.code; };
  std::sort(products->begin(), products->end(), byCode);
  std::vector<Product> expected = kDefaultCatalogue;
  std::sort(expected.begin(), expected.end(), byCode);
  EXPECT_TRUE(*products == expected) << "the catalogue is not a fresh data dir's 8 products" << routed(listed);
}

TEST_P(Functional, BuyDecrementsStock) {
  ServerProcess server{options()};
  JudgeSession session = server.connect();

  Reply bought = callExpecting(session, buy("A1"), Status::kOk);
  EXPECT_EQ(fieldOf(bought, "product"), "A1") << "buying A1" << routed(bought);
  EXPECT_EQ(fieldOf(bought, "name"), "Cola") << "buying A1" << routed(bought);
  EXPECT_EQ(intFieldOf(bought, "price"), 150) << "buying A1" << routed(bought);
  EXPECT_EQ(intFieldOf(bought, "stock"), 9) << "buying A1, of which there were 10" << routed(bought);
  EXPECT_EQ(stockByProduct(session)["A1"], 9) << "the catalogue after buying one A1 of 10";
  EXPECT_EQ(stockByProduct(session)["A2"], 10) << "another product changed";
}

TEST_P(Functional, OutOfStockAfterTheLastOne) {
  ServerProcess server{options()};
  JudgeSession session = server.connect();

  for (int left = 4; left >= 0; --left) {  // B3 (Sandwich) starts with 5
    Reply bought = callExpecting(session, buy("B3"), Status::kOk);
    EXPECT_EQ(intFieldOf(bought, "stock"), left) << "buying B3, of which there were " << left + 1
                                                 << routed(bought);
  }
  callExpecting(session, buy("B3"), Status::kOutOfStock);
  EXPECT_EQ(stockByProduct(session)["B3"], 0) << "the catalogue after buying all 5 B3";
}

TEST_P(Functional, UnknownProductIsRefused) {
  ServerProcess server{options()};
  JudgeSession session = server.connect();

  callExpecting(session, buy("Z9"), Status::kUnknownProduct);
  callExpecting(session, buy("A9"), Status::kUnknownProduct);
  EXPECT_EQ(stockByProduct(session), (std::map<std::string, int>{{"A1", 10}, {"A2", 10},
                                                                  {"A3", 8},  {"B1", 10},
                                                                  {"B2", 10}, {"B3", 5},
                                                                  {"C1", 10}, {"C2", 10}}))
      << "refused buys of unknown products changed the stock";
}

TEST_P(Functional, RestockRefillsAProduct) {
  ServerProcess server{options()};
  JudgeSession session = server.connect();

  for (int i = 0; i < 5; ++i) callExpecting(session, buy("B3"), Status::kOk);
  callExpecting(session, buy("B3"), Status::kOutOfStock);

  Reply restocked = callExpecting(session, restock("B3", 3), Status::kOk);
  EXPECT_EQ(fieldOf(restocked, "product"), "B3") << "restocking 3 B3" << routed(restocked);
  EXPECT_EQ(intFieldOf(restocked, "stock"), 3) << "restocking 3 B3 at 0" << routed(restocked);

  Reply bought = callExpecting(session, buy("B3"), Status::kOk);
  EXPECT_EQ(intFieldOf(bought, "stock"), 2) << "buying one of 3 B3" << routed(bought);
  EXPECT_EQ(stockByProduct(session)["B3"], 2) << "the catalogue after a restock of 3 and a buy";
}

TEST_P(Functional, StatusCountsEverything) {
  ServerOptions sized = options();
  sized.parcel_lockers = 5;
  sized.food_slots = 4;
  ServerProcess server{sized};
  JudgeSession session = server.connect();

  // STATUS is answered by all three services; mergeStatus makes one reply of them.
  const char* kMerged =
      ": STATUS asks every service; mergeStatus keeps every field of the three parts (parcel.*, food.*, "
      "vending.*), in order, besides the joined message. Reply: ";
  Reply empty = callExpecting(session, status(), Status::kOk);
  EXPECT_EQ(intFieldOf(empty, "parcel.capacity"), 5) << "5 parcel lockers" << kMerged << shown(empty);
  EXPECT_EQ(intFieldOf(empty, "parcel.occupied"), 0) << "no parcel yet" << kMerged << shown(empty);
  EXPECT_EQ(intFieldOf(empty, "food.capacity"), 4) << "4 food slots" << kMerged << shown(empty);
  EXPECT_EQ(intFieldOf(empty, "food.occupied"), 0) << "no meal yet" << kMerged << shown(empty);
  EXPECT_EQ(intFieldOf(empty, "vending.products"), 8) << "the 8 products of a fresh catalogue" << kMerged
                                                      << shown(empty);
  EXPECT_EQ(intFieldOf(empty, "vending.stock"), 73) << "the 73 items of a fresh catalogue" << kMerged
                                                    << shown(empty);

  callExpecting(session, depositParcel(), Status::kOk);
  Reply second = callExpecting(session, depositParcel(), Status::kOk);
  callExpecting(session, depositFood(), Status::kOk);
  callExpecting(session, buy("C1"), Status::kOk);
  callExpecting(session, pickupParcel(fieldOf(second, "code")), Status::kOk);
  callExpecting(session, depositParcel(), Status::kOk);

  Reply busy = callExpecting(session, status(), Status::kOk);
  EXPECT_EQ(intFieldOf(busy, "parcel.capacity"), 5) << "5 parcel lockers" << kMerged << shown(busy);
  EXPECT_EQ(intFieldOf(busy, "parcel.occupied"), 2) << "3 parcels deposited, 1 picked up" << kMerged << shown(busy);
  EXPECT_EQ(intFieldOf(busy, "food.capacity"), 4) << "4 food slots" << kMerged << shown(busy);
  EXPECT_EQ(intFieldOf(busy, "food.occupied"), 1) << "1 meal deposited" << kMerged << shown(busy);
  EXPECT_EQ(intFieldOf(busy, "vending.products"), 8) << "8 products" << kMerged << shown(busy);
  EXPECT_EQ(intFieldOf(busy, "vending.stock"), 72) << "73 items, 1 bought" << kMerged << shown(busy);
}

// Each service checks the staff PIN itself, so a STATUS without one is
// refused three times; the merged reply must pass the refusal on (it is OK
// only if every part is) and keep one sentence per service.
TEST_P(Functional, StatusWithoutThePinIsForbidden) {
  ServerProcess server{options()};
  JudgeSession session = server.connect();

  Reply refused;
  {
    SCOPED_TRACE("STATUS without the staff PIN: every service refuses it (FORBIDDEN), and mergeStatus "
                 "must pass that on: the merged status is OK only if every part's is, else the first "
                 "part's that is not. A mergeStatus that answers OK whatever its parts said lets anybody "
                 "read the staff's status; see labs/01-sockets/README.md, 'What to write'");
    refused = callExpecting(session, makeRequest(Command::kStatus), Status::kForbidden);
  }
  EXPECT_EQ(refused.served_by.service, Service::kServer) << "a STATUS reply is the server's merge";
  const std::string message = fieldOf(refused, "message");
  std::vector<std::string> parts;
  for (std::size_t start = 0;;) {
    const std::size_t end = message.find("; ", start);
    parts.push_back(message.substr(start, end == std::string::npos ? end : end - start));
    if (end == std::string::npos) break;
    start = end + 2;
  }
  ASSERT_EQ(parts.size(), 3u) << "one sentence per service, joined by \"; \": '" << message
                              << "' (mergeStatus joins the three parts' messages)";
  for (const std::string& part : parts) {
    EXPECT_FALSE(part.empty()) << "an empty part in '" << message << "' (mergeStatus joins the three parts' "
                               << "messages by \"; \")";
  }

  callExpecting(session, status(), Status::kOk);  // with the PIN, on the same connection
}

TEST_P(Functional, RepliesNameTheServiceThatServedThem) {
  ServerProcess server{options()};
  JudgeSession session = server.connect();

  Reply parcel = callExpecting(session, depositParcel(), Status::kOk);
  Reply parcel_pickup = callExpecting(session, pickupParcel(fieldOf(parcel, "code")), Status::kOk);
  Reply food = callExpecting(session, depositFood(), Status::kOk);
  Reply food_pickup = callExpecting(session, pickupFood(fieldOf(food, "code")), Status::kOk);
  Reply listed = callExpecting(session, listProducts(), Status::kOk);
  Reply bought = callExpecting(session, buy("A2"), Status::kOk);
  Reply restocked = callExpecting(session, restock("A2", 1), Status::kOk);

  // routeRequest: the command code picks the service; the reply's header names it (encodeReply).
  const char* kWho = " must be served by the service its command names (routeRequest), and the reply's "
                     "service byte say so (encodeReply). Reply: ";
  EXPECT_EQ(parcel.served_by.service, Service::kParcel) << "PARCEL_DEPOSIT" << kWho << shown(parcel);
  EXPECT_EQ(parcel_pickup.served_by.service, Service::kParcel) << "PARCEL_PICKUP" << kWho << shown(parcel_pickup);
  EXPECT_EQ(food.served_by.service, Service::kFood) << "FOOD_DEPOSIT" << kWho << shown(food);
  EXPECT_EQ(food_pickup.served_by.service, Service::kFood) << "FOOD_PICKUP" << kWho << shown(food_pickup);
  EXPECT_EQ(listed.served_by.service, Service::kVending) << "VENDING_LIST" << kWho << shown(listed);
  EXPECT_EQ(bought.served_by.service, Service::kVending) << "VENDING_BUY" << kWho << shown(bought);
  EXPECT_EQ(restocked.served_by.service, Service::kVending) << "VENDING_RESTOCK" << kWho << shown(restocked);

  for (const Reply* reply : {&parcel, &food, &listed}) {
    EXPECT_NE(reply->served_by.tid, 0u) << "a reply names the thread that served it (tid, bytes 16-19): "
                                        << shown(*reply);
  }
  EXPECT_EQ(parcel_pickup.served_by.pid, parcel.served_by.pid) << "one process per service";
  EXPECT_EQ(food_pickup.served_by.pid, food.served_by.pid) << "one process per service";
  EXPECT_EQ(bought.served_by.pid, listed.served_by.pid) << "one process per service";

  auto server_pid = static_cast<std::uint32_t>(server.pid());
  if (GetParam() <= 2) {  // the services run inside the server
    for (const Reply* reply : {&parcel, &food, &listed}) {
      EXPECT_EQ(reply->served_by.pid, server_pid)
          << serviceName(reply->served_by.service) << ": at stages 1 and 2 the services run inside the "
          << "server process (InlineDispatcher), so every reply names the server's pid. Reply: " << shown(*reply);
    }
  } else {  // one child process per service
    std::set<std::uint32_t> pids{parcel.served_by.pid, food.served_by.pid, listed.served_by.pid};
    EXPECT_EQ(pids.size(), 3u) << "three services, three processes";
    EXPECT_FALSE(pids.contains(server_pid)) << "a service ran in the server process";
  }
}

TEST_P(Functional, RestartKeepsDepositsAndStock) {
  TempDir data{"data"};
  ServerOptions persistent = options();
  persistent.data_dir = data.path();

  std::string parcel_code, parcel_locker, food_code, food_slot;
  {
    ServerProcess first{persistent};
    JudgeSession session = first.connect();
    Reply parcel = callExpecting(session, depositParcel(), Status::kOk);
    Reply food = callExpecting(session, depositFood(), Status::kOk);
    parcel_code = fieldOf(parcel, "code");
    parcel_locker = fieldOf(parcel, "locker");
    food_code = fieldOf(food, "code");
    food_slot = fieldOf(food, "locker");
    callExpecting(session, buy("A1"), Status::kOk);
    callExpecting(session, buy("A1"), Status::kOk);
    callExpecting(session, restock("C2", 5), Status::kOk);
    // Killed, not asked to stop: acknowledged operations must survive even a
    // crash (clean shutdown is lab 5's; its tests check it).
    ASSERT_TRUE(first.stop(SIGKILL).has_value()) << "the server did not die";
  }
  for (const char* file : {"parcel.db", "food.db", "vending.db"}) {
    EXPECT_TRUE(std::filesystem::exists(data.path() / file)) << file << " missing";
  }

  ServerProcess second{persistent};
  JudgeSession session = second.connect();
  // The services commit each change before they answer; a server restarted on
  // the same --data-dir must find all of it.
  const char* kKept = ", from before the server was killed, must survive its restart on the same --data-dir "
                      "(the services commit before they answer). Reply: ";
  Reply before = callExpecting(session, status(), Status::kOk);
  EXPECT_EQ(intFieldOf(before, "parcel.occupied"), 1) << "the parcel deposited" << kKept << shown(before);
  EXPECT_EQ(intFieldOf(before, "food.occupied"), 1) << "the meal deposited" << kKept << shown(before);
  std::map<std::string, int> stock = stockByProduct(session);
  EXPECT_EQ(stock["A1"], 8) << "two A1 bought of 10, from before the server was killed, must survive its restart";
  EXPECT_EQ(stock["C2"], 15) << "5 C2 restocked onto 10, from before the server was killed, must survive its restart";
  Reply parcel = callExpecting(session, pickupParcel(parcel_code), Status::kOk);
  EXPECT_EQ(fieldOf(parcel, "locker"), parcel_locker) << "the parcel's locker" << kKept << shown(parcel);
  Reply food = callExpecting(session, pickupFood(food_code), Status::kOk);
  EXPECT_EQ(fieldOf(food, "locker"), food_slot) << "the meal's slot" << kKept << shown(food);
}

// A port nobody listens on right now: the kernel's choice for a throwaway
// socket, closed again at once (it never connected, so it leaves no TIME_WAIT).
// Someone else may take it before we bind it: the caller must allow for that.
std::uint16_t pickFreePort() {
  Fd probe{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (!probe) throwErrno("socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (::bind(probe.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0)
    throwErrno("bind");
  socklen_t length = sizeof address;
  if (::getsockname(probe.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0)
    throwErrno("getsockname");
  return ntohs(address.sin_port);
}

// A server killed while a client is connected closes that connection first,
// so its end of it waits in TIME_WAIT (a minute on Linux) once the client
// closes too. A server restarted on the same port right away must still
// bind it: that is what SO_REUSEADDR, set before bind, is for.
TEST_P(Functional, RestartOnTheSamePortRightAway) {
  std::optional<ServerProcess> first;
  ServerOptions fixed = options();
  std::string why_not;
  for (int attempt = 0; attempt < 3 && !first; ++attempt) {
    fixed.extra_args = {"--port", std::to_string(pickFreePort())};  // the last --port wins
    try {
      first.emplace(fixed);
    } catch (const std::runtime_error& e) {  // taken in the meantime: choose another
      why_not = e.what();
    }
  }
  ASSERT_TRUE(first.has_value()) << "no first server on a free port in 3 tries: " << why_not;
  const std::uint16_t port = first->port();
  {
    JudgeSession session = first->connect();
    callExpecting(session, listProducts(), Status::kOk);
    ASSERT_TRUE(first->stop(SIGKILL).has_value()) << "the server did not die";
  }  // the client closes after the server: the server's end goes to TIME_WAIT
  first.reset();

  std::optional<ServerProcess> second;
  try {
    second.emplace(fixed);  // the same port: no second try
  } catch (const std::runtime_error& e) {
    FAIL() << "a server restarted on port " << port << " right after the last one did not start "
           << "(SO_REUSEADDR before bind?): " << e.what()
           << ". The killed server's end of its last connection waits in TIME_WAIT for a minute; "
              "openListenSocket must set SO_REUSEADDR on the socket before bind() so that the port can "
              "be bound again at once. Known mistake: no SO_REUSEADDR; see labs/01-sockets/README.md, "
              "'Classic mistakes'";
  }
  EXPECT_EQ(second->port(), port) << "the restarted server listens on another port than the one asked";
  EXPECT_TRUE(isServed(second->port())) << "the restarted server does not serve";
}

INSTANTIATE_TEST_SUITE_P(Stages, Functional, ::testing::ValuesIn(labStages()), stageName);

}  // namespace
}  // namespace mc::test
