/// @file test_client_output.cpp
/// @brief What `cabinet` prints: JSON that scripts parse (exact text, types,
/// escaping) and the human sentences and tables.
/// Runs in: the unit test process. Pure: builds Replies in memory.
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <utility>

#include "client_output.hpp"

namespace mc {
namespace {

using FieldList = std::initializer_list<std::pair<std::string, std::string>>;

/// A reply as a service would send it: pid 4121, thread 4127.
Reply reply(Command command, Status status, Service by, FieldList fields,
            std::uint32_t request_id = 7) {
  Reply r;
  r.command = command;
  r.request_id = request_id;
  r.status = status;
  r.served_by = ServedBy{by, 4121, 4127};
  for (const auto& [key, value] : fields) r.fields.add(key, value);
  return r;
}

const std::string kServedByParcel = R"("served_by":{"service":"parcel","pid":4121,"tid":4127})";
const std::string kServedByVending = R"("served_by":{"service":"vending","pid":4121,"tid":4127})";
const std::string kServedByServer = R"("served_by":{"service":"server","pid":4121,"tid":4127})";

// ---------------------------------------------------------------------------
// formatJson
// ---------------------------------------------------------------------------

TEST(ClientJson, DepositKeepsTheCodeAStringWithItsLeadingZero) {
  const Reply r = reply(Command::kParcelDeposit, Status::kOk, Service::kParcel,
                        {{"message", "Parcel stored in locker P-07"},
                         {"locker", "P-07"},
                         {"code", "042913"}});
  EXPECT_EQ(formatJson(r),
            R"({"ok":true,"status":"OK","message":"Parcel stored in locker P-07",)"
            R"("request_id":7,"locker":"P-07","code":"042913",)" +
                kServedByParcel + "}");
}

TEST(ClientJson, PickupHasTheLocker) {
  const Reply r = reply(Command::kFoodPickup, Status::kOk, Service::kFood,
                        {{"message", "Locker F-03 opened"}, {"locker", "F-03"}}, 12);
  EXPECT_EQ(formatJson(r),
            R"({"ok":true,"status":"OK","message":"Locker F-03 opened","request_id":12,)"
            R"("locker":"F-03","served_by":{"service":"food","pid":4121,"tid":4127}})");
}

TEST(ClientJson, ListGivesItemsWithNumericPriceAndStock) {
  const Reply r = reply(Command::kVendingList, Status::kOk, Service::kVending,
                        {{"message", "2 products"},
                         {"item", "A1;Cola;150;10"},
                         {"item", "C2;Green tea;1200;0"}});
  EXPECT_EQ(formatJson(r),
            R"({"ok":true,"status":"OK","message":"2 products","request_id":7,"items":[)"
            R"({"product":"A1","name":"Cola","price":150,"stock":10},)"
            R"({"product":"C2","name":"Green tea","price":1200,"stock":0}],)" +
                kServedByVending + "}");
}

TEST(ClientJson, EmptyCatalogueIsAnEmptyArray) {
  const Reply r =
      reply(Command::kVendingList, Status::kOk, Service::kVending, {{"message", "0 products"}});
  EXPECT_NE(formatJson(r).find(R"("items":[])"), std::string::npos) << formatJson(r);
}

TEST(ClientJson, ItemNameMayContainASemicolon) {
  const Reply r = reply(Command::kVendingList, Status::kOk, Service::kVending,
                        {{"message", "1 product"}, {"item", "B1;Salt; pepper;99;3"}});
  EXPECT_NE(formatJson(r).find(R"({"product":"B1","name":"Salt; pepper","price":99,"stock":3})"),
            std::string::npos)
      << formatJson(r);
}

TEST(ClientJson, MalformedItemIsKeptRaw) {
  const Reply r = reply(Command::kVendingList, Status::kOk, Service::kVending,
                        {{"message", "1 product"}, {"item", "A1;Cola;cheap;10"}});
  EXPECT_NE(formatJson(r).find(R"("items":[{"raw":"A1;Cola;cheap;10"}])"), std::string::npos)
      << formatJson(r);
}

TEST(ClientJson, BuyAndRestockGiveNumbers) {
  const Reply buy = reply(Command::kVendingBuy, Status::kOk, Service::kVending,
                          {{"message", "Enjoy your Cola"},
                           {"product", "A1"},
                           {"name", "Cola"},
                           {"price", "150"},
                           {"stock", "9"}});
  EXPECT_EQ(formatJson(buy),
            R"({"ok":true,"status":"OK","message":"Enjoy your Cola","request_id":7,)"
            R"("product":"A1","name":"Cola","price":150,"stock":9,)" +
                kServedByVending + "}");

  const Reply restock = reply(Command::kVendingRestock, Status::kOk, Service::kVending,
                              {{"message", "Restocked"}, {"product", "A1"}, {"stock", "19"}});
  EXPECT_EQ(formatJson(restock),
            R"({"ok":true,"status":"OK","message":"Restocked","request_id":7,)"
            R"("product":"A1","stock":19,)" +
                kServedByVending + "}");
}

TEST(ClientJson, StatusNestsEachService) {
  const Reply r = reply(Command::kStatus, Status::kOk, Service::kServer,
                        {{"message", "all services answered"},
                         {"parcel.capacity", "20"},
                         {"parcel.occupied", "3"},
                         {"food.capacity", "10"},
                         {"food.occupied", "0"},
                         {"vending.products", "6"},
                         {"vending.stock", "58"}});
  EXPECT_EQ(formatJson(r),
            R"({"ok":true,"status":"OK","message":"all services answered","request_id":7,)"
            R"("parcel":{"capacity":20,"occupied":3},"food":{"capacity":10,"occupied":0},)"
            R"("vending":{"products":6,"stock":58},)" +
                kServedByServer + "}");
}

TEST(ClientJson, ErrorReplyHasOkFalseAndItsStatusName) {
  const Reply r = reply(Command::kParcelPickup, Status::kWrongCode, Service::kParcel,
                        {{"message", "Wrong code"}});
  EXPECT_EQ(formatJson(r),
            R"({"ok":false,"status":"WRONG_CODE","message":"Wrong code","request_id":7,)" +
                kServedByParcel + "}");
}

TEST(ClientJson, EscapesQuotesBackslashesAndControlCharacters) {
  const Reply r = reply(Command::kStatus, Status::kBadRequest, Service::kServer,
                        {{"message", "say \"hi\"\\ now\nthen\ttab\r\b\f\x01\x1f end"}});
  EXPECT_EQ(formatJson(r),
            R"({"ok":false,"status":"BAD_REQUEST",)"
            R"("message":"say \"hi\"\\ now\nthen\ttab\r\b\f\u0001\u001f end",)"
            R"("request_id":7,)" +
                kServedByServer + "}");
}

TEST(ClientJson, KeepsUtf8AndReplacesBytesThatAreNot) {
  const Reply r = reply(Command::kVendingBuy, Status::kOk, Service::kVending,
                        {{"message", "ok"}, {"name", "绿茶"}, {"product", "bad\xff\xc3"}});
  const std::string json = formatJson(r);
  EXPECT_NE(json.find(R"("name":"绿茶")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("product":"bad\ufffd\ufffd")"), std::string::npos) << json;
}

TEST(ClientJson, UnknownFieldsAreKeptAsStringsWithUnderscores) {
  const Reply r = reply(Command::kVendingRestock, Status::kOk, Service::kVending,
                        {{"message", "ok"},
                         {"stock", "lots"},          // a count that is not a number stays text
                         {"extra.thing", "42"},      // unknown: a string, dot -> underscore
                         {"code", "007"}});
  const std::string json = formatJson(r);
  EXPECT_NE(json.find(R"("stock":"lots")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("extra_thing":"42")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("code":"007")"), std::string::npos) << json;
}

TEST(ClientJson, MissingMessageIsAnEmptyString) {
  const Reply r = reply(Command::kStatus, Status::kInternalError, Service::kServer, {});
  EXPECT_EQ(formatJson(r), R"({"ok":false,"status":"INTERNAL_ERROR","message":"","request_id":7,)" +
                               kServedByServer + "}");
}

TEST(ClientJson, ErrorWithoutAReply) {
  EXPECT_EQ(formatJsonError("CONNECTION_ERROR", "connect: \"refused\""),
            R"({"ok":false,"status":"CONNECTION_ERROR","message":"connect: \"refused\""})");
}

// ---------------------------------------------------------------------------
// formatHuman
// ---------------------------------------------------------------------------

TEST(ClientHuman, DepositNamesLockerCodeAndWhoServedIt) {
  const Reply r = reply(Command::kParcelDeposit, Status::kOk, Service::kParcel,
                        {{"message", "Parcel stored in locker P-07"},
                         {"locker", "P-07"},
                         {"code", "482913"}});
  EXPECT_EQ(formatHuman(r),
            "Parcel stored in locker P-07. Pickup code: 482913  "
            "(parcel service, pid 4121, thread 4127)");
}

TEST(ClientHuman, FoodPickup) {
  const Reply r = reply(Command::kFoodPickup, Status::kOk, Service::kFood,
                        {{"message", "Locker F-03 opened"}, {"locker", "F-03"}});
  const std::string text = formatHuman(r);
  EXPECT_NE(text.find("F-03"), std::string::npos) << text;
  EXPECT_NE(text.find("food"), std::string::npos) << text;
  EXPECT_NE(text.find("(food service, pid 4121, thread 4127)"), std::string::npos) << text;
}

TEST(ClientHuman, ErrorShowsStatusAndMessage) {
  const Reply r = reply(Command::kParcelPickup, Status::kWrongCode, Service::kParcel,
                        {{"message", "Wrong code"}});
  EXPECT_EQ(formatHuman(r),
            "Error WRONG_CODE: Wrong code  (parcel service, pid 4121, thread 4127)");
}

TEST(ClientHuman, ListIsAnAlignedTable) {
  const Reply r = reply(Command::kVendingList, Status::kOk, Service::kVending,
                        {{"message", "3 products"},
                         {"item", "A1;Cola;150;10"},
                         {"item", "B2;Chips;5;0"},
                         {"item", "C2;Green tea;1200;100"}});
  EXPECT_EQ(formatHuman(r),
            "3 products:\n"
            "  CODE  NAME       PRICE  STOCK\n"
            "  A1    Cola        1.50     10\n"
            "  B2    Chips       0.05      0\n"
            "  C2    Green tea  12.00    100\n"
            "(vending service, pid 4121, thread 4127)");
}

TEST(ClientHuman, ChineseNamesCountTwoColumnsEach) {
  const Reply r = reply(Command::kVendingList, Status::kOk, Service::kVending,
                        {{"message", "2 products"},
                         {"item", "A1;Cola;150;10"},
                         {"item", "C2;绿茶;1200;0"}});
  EXPECT_EQ(formatHuman(r),
            "2 products:\n"
            "  CODE  NAME  PRICE  STOCK\n"
            "  A1    Cola   1.50     10\n"
            "  C2    绿茶  12.00      0\n"
            "(vending service, pid 4121, thread 4127)");
}

TEST(ClientHuman, BuyShowsThePriceInUnits) {
  const Reply r = reply(Command::kVendingBuy, Status::kOk, Service::kVending,
                        {{"message", "ok"},
                         {"product", "A1"},
                         {"name", "Cola"},
                         {"price", "150"},
                         {"stock", "9"}});
  EXPECT_EQ(formatHuman(r),
            "Bought A1 (Cola) for 1.50. 9 left.  (vending service, pid 4121, thread 4127)");
}

TEST(ClientHuman, StatusIsASmallTable) {
  const Reply r = reply(Command::kStatus, Status::kOk, Service::kServer,
                        {{"message", "all"},
                         {"parcel.capacity", "20"},
                         {"parcel.occupied", "3"},
                         {"food.capacity", "10"},
                         {"food.occupied", "1"},
                         {"vending.products", "6"},
                         {"vending.stock", "58"}});
  EXPECT_EQ(formatHuman(r),
            "Cabinet status:\n"
            "  parcel lockers  3 of 20 occupied\n"
            "  food lockers    1 of 10 occupied\n"
            "  vending         6 products, 58 items in stock\n"
            "(server, pid 4121, thread 4127)");
}

TEST(ClientHuman, UnexpectedShapeFallsBackToTheMessage) {
  const Reply r = reply(Command::kParcelDeposit, Status::kOk, Service::kParcel,
                        {{"message", "stored somewhere"}});  // no locker, no code
  EXPECT_EQ(formatHuman(r), "stored somewhere  (parcel service, pid 4121, thread 4127)");
}

}  // namespace
}  // namespace mc
