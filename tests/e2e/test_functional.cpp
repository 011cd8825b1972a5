/// @file test_functional.cpp
/// @brief What each command does, on a real cabinetd, in the stage of the lab
/// being tested (see labStages()).
/// Runs in: the e2e test process; starts one cabinetd per test.
#include <sys/types.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "server_process.hpp"
#include "test_client.hpp"

namespace mc::test {
namespace {

using Clock = std::chrono::steady_clock;

class Functional : public StageTest {};

TEST_P(Functional, ParcelDepositThenPickupOnce) {
  ServerProcess server{options()};
  JudgeSession session = server.connect();

  Reply stored = callExpecting(session, depositParcel(7), Status::kOk);
  std::string locker = fieldOf(stored, "locker");
  std::string code = fieldOf(stored, "code");
  EXPECT_TRUE(looksLikeLocker(locker, 'P')) << "locker '" << locker << "'";
  EXPECT_TRUE(looksLikeCode(code)) << "code '" << code << "'";
  EXPECT_FALSE(fieldOf(stored, "message").empty());

  Reply picked = callExpecting(session, pickupParcel(code, 8), Status::kOk);
  EXPECT_EQ(fieldOf(picked, "locker"), locker);
  EXPECT_FALSE(fieldOf(picked, "message").empty());

  callExpecting(session, pickupParcel(code, 8), Status::kWrongCode);  // a code works once
}

TEST_P(Functional, FoodDepositThenPickupOnce) {
  ServerProcess server{options()};
  JudgeSession session = server.connect();

  Reply stored = callExpecting(session, depositFood(3), Status::kOk);
  std::string slot = fieldOf(stored, "locker");
  std::string code = fieldOf(stored, "code");
  EXPECT_TRUE(looksLikeLocker(slot, 'F')) << "slot '" << slot << "'";
  EXPECT_TRUE(looksLikeCode(code)) << "code '" << code << "'";

  Reply picked = callExpecting(session, pickupFood(code, 4), Status::kOk);
  EXPECT_EQ(fieldOf(picked, "locker"), slot);

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
  EXPECT_EQ(fieldOf(again, "locker"), fieldOf(freed, "locker")) << "the only free locker";

  callExpecting(session, depositFood(), Status::kOk);
  callExpecting(session, depositFood(), Status::kOk);
  callExpecting(session, depositFood(), Status::kFull);
}

TEST_P(Functional, ListShowsTheDefaultCatalogue) {
  ServerProcess server{options()};
  JudgeSession session = server.connect();

  Reply listed = callExpecting(session, listProducts(), Status::kOk);
  std::optional<std::vector<Product>> products = parseCatalogue(listed);
  ASSERT_TRUE(products.has_value()) << "malformed item in the list reply";
  auto byCode = [](const Product& a, const Product& b) { return a.code < b.code; };
  std::sort(products->begin(), products->end(), byCode);
  std::vector<Product> expected = kDefaultCatalogue;
  std::sort(expected.begin(), expected.end(), byCode);
  EXPECT_EQ(*products, expected);
}

TEST_P(Functional, BuyDecrementsStock) {
  ServerProcess server{options()};
  JudgeSession session = server.connect();

  Reply bought = callExpecting(session, buy("A1"), Status::kOk);
  EXPECT_EQ(fieldOf(bought, "product"), "A1");
  EXPECT_EQ(fieldOf(bought, "name"), "Cola");
  EXPECT_EQ(intFieldOf(bought, "price"), 150);
  EXPECT_EQ(intFieldOf(bought, "stock"), 9);
  EXPECT_EQ(stockByProduct(session)["A1"], 9);
  EXPECT_EQ(stockByProduct(session)["A2"], 10) << "another product changed";
}

TEST_P(Functional, OutOfStockAfterTheLastOne) {
  ServerProcess server{options()};
  JudgeSession session = server.connect();

  for (int left = 4; left >= 0; --left) {  // B3 (Sandwich) starts with 5
    Reply bought = callExpecting(session, buy("B3"), Status::kOk);
    EXPECT_EQ(intFieldOf(bought, "stock"), left);
  }
  callExpecting(session, buy("B3"), Status::kOutOfStock);
  EXPECT_EQ(stockByProduct(session)["B3"], 0);
}

TEST_P(Functional, UnknownProductIsRefused) {
  ServerProcess server{options()};
  JudgeSession session = server.connect();

  callExpecting(session, buy("Z9"), Status::kUnknownProduct);
  callExpecting(session, buy("A9"), Status::kUnknownProduct);
  EXPECT_EQ(stockByProduct(session), (std::map<std::string, int>{{"A1", 10}, {"A2", 10},
                                                                  {"A3", 8},  {"B1", 10},
                                                                  {"B2", 10}, {"B3", 5},
                                                                  {"C1", 10}, {"C2", 10}}));
}

TEST_P(Functional, RestockRefillsAProduct) {
  ServerProcess server{options()};
  JudgeSession session = server.connect();

  for (int i = 0; i < 5; ++i) callExpecting(session, buy("B3"), Status::kOk);
  callExpecting(session, buy("B3"), Status::kOutOfStock);

  Reply restocked = callExpecting(session, restock("B3", 3), Status::kOk);
  EXPECT_EQ(fieldOf(restocked, "product"), "B3");
  EXPECT_EQ(intFieldOf(restocked, "stock"), 3);

  Reply bought = callExpecting(session, buy("B3"), Status::kOk);
  EXPECT_EQ(intFieldOf(bought, "stock"), 2);
  EXPECT_EQ(stockByProduct(session)["B3"], 2);
}

TEST_P(Functional, StatusCountsEverything) {
  ServerOptions sized = options();
  sized.parcel_lockers = 5;
  sized.food_slots = 4;
  ServerProcess server{sized};
  JudgeSession session = server.connect();

  Reply empty = callExpecting(session, status(), Status::kOk);
  EXPECT_EQ(intFieldOf(empty, "parcel.capacity"), 5);
  EXPECT_EQ(intFieldOf(empty, "parcel.occupied"), 0);
  EXPECT_EQ(intFieldOf(empty, "food.capacity"), 4);
  EXPECT_EQ(intFieldOf(empty, "food.occupied"), 0);
  EXPECT_EQ(intFieldOf(empty, "vending.products"), 8);
  EXPECT_EQ(intFieldOf(empty, "vending.stock"), 73);

  callExpecting(session, depositParcel(), Status::kOk);
  Reply second = callExpecting(session, depositParcel(), Status::kOk);
  callExpecting(session, depositFood(), Status::kOk);
  callExpecting(session, buy("C1"), Status::kOk);
  callExpecting(session, pickupParcel(fieldOf(second, "code")), Status::kOk);
  callExpecting(session, depositParcel(), Status::kOk);

  Reply busy = callExpecting(session, status(), Status::kOk);
  EXPECT_EQ(intFieldOf(busy, "parcel.capacity"), 5);
  EXPECT_EQ(intFieldOf(busy, "parcel.occupied"), 2);
  EXPECT_EQ(intFieldOf(busy, "food.capacity"), 4);
  EXPECT_EQ(intFieldOf(busy, "food.occupied"), 1);
  EXPECT_EQ(intFieldOf(busy, "vending.products"), 8);
  EXPECT_EQ(intFieldOf(busy, "vending.stock"), 72);
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

  EXPECT_EQ(parcel.served_by.service, Service::kParcel);
  EXPECT_EQ(parcel_pickup.served_by.service, Service::kParcel);
  EXPECT_EQ(food.served_by.service, Service::kFood);
  EXPECT_EQ(food_pickup.served_by.service, Service::kFood);
  EXPECT_EQ(listed.served_by.service, Service::kVending);
  EXPECT_EQ(bought.served_by.service, Service::kVending);
  EXPECT_EQ(restocked.served_by.service, Service::kVending);

  for (const Reply* reply : {&parcel, &food, &listed}) EXPECT_NE(reply->served_by.tid, 0u);
  EXPECT_EQ(parcel_pickup.served_by.pid, parcel.served_by.pid) << "one process per service";
  EXPECT_EQ(food_pickup.served_by.pid, food.served_by.pid);
  EXPECT_EQ(bought.served_by.pid, listed.served_by.pid);

  auto server_pid = static_cast<std::uint32_t>(server.pid());
  if (GetParam() <= 2) {  // the services run inside the server
    for (const Reply* reply : {&parcel, &food, &listed}) {
      EXPECT_EQ(reply->served_by.pid, server_pid) << serviceName(reply->served_by.service);
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
  Reply before = callExpecting(session, status(), Status::kOk);
  EXPECT_EQ(intFieldOf(before, "parcel.occupied"), 1);
  EXPECT_EQ(intFieldOf(before, "food.occupied"), 1);
  std::map<std::string, int> stock = stockByProduct(session);
  EXPECT_EQ(stock["A1"], 8);
  EXPECT_EQ(stock["C2"], 15);
  Reply parcel = callExpecting(session, pickupParcel(parcel_code), Status::kOk);
  EXPECT_EQ(fieldOf(parcel, "locker"), parcel_locker);
  Reply food = callExpecting(session, pickupFood(food_code), Status::kOk);
  EXPECT_EQ(fieldOf(food, "locker"), food_slot);
}

INSTANTIATE_TEST_SUITE_P(Stages, Functional, ::testing::ValuesIn(labStages()), stageName);

}  // namespace
}  // namespace mc::test
