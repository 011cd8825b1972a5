/// @file vending_service.cpp
/// @brief List, buy, restock and status of the vending machine.
/// Runs in: the process that runs the vending service.
/// Owns: nothing beyond VendingService's database connection.
#include "vending_service.hpp"

#include <optional>
#include <string>
#include <vector>

namespace mc {
namespace {

constexpr const char* kSchema = R"sql(
  CREATE TABLE IF NOT EXISTS products (
    code        TEXT PRIMARY KEY,  -- "A1": 1-8 characters A-Z 0-9
    name        TEXT NOT NULL,
    price_cents INTEGER NOT NULL,
    stock       INTEGER NOT NULL CHECK (stock >= 0)
  );
)sql";

constexpr const char* kDefaultCatalogue = R"sql(
  INSERT INTO products (code, name, price_cents, stock) VALUES
    ('A1', 'Cola', 150, 10),
    ('A2', 'Mineral water', 100, 10),
    ('A3', 'Orange juice', 200, 8),
    ('B1', 'Crisps', 120, 10),
    ('B2', 'Chocolate bar', 180, 10),
    ('B3', 'Sandwich', 350, 5),
    ('C1', 'Coffee', 250, 10),
    ('C2', 'Green tea', 220, 10);
)sql";

/// Largest quantity one restock may add.
constexpr std::int64_t kMaxRestock = 1000;

bool isProductCode(std::string_view code) {
  if (code.empty() || code.size() > 8) return false;
  for (char c : code)
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  return true;
}

/// @p text as a quantity 1..kMaxRestock in plain decimal, or nullopt.
std::optional<std::int64_t> parseQuantity(std::string_view text) {
  if (text.empty() || text.size() > 4) return std::nullopt;  // "1000" is the longest
  std::int64_t qty = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;  // no sign, no spaces
    qty = qty * 10 + (c - '0');
  }
  if (qty < 1 || qty > kMaxRestock) return std::nullopt;
  return qty;
}

Reply vendingReply(const Request& request, Status status, std::string message) {
  return makeReply(request, status, std::move(message), Service::kVending);
}

}  // namespace

VendingService::VendingService(const std::filesystem::path& db_path) : db_{db_path} {
  db_.exec(kSchema);
  insertDefaultCatalogueOnce();
}

Reply VendingService::handle(const Request& request) {
  switch (request.command) {
    case Command::kVendingList: return list(request);
    case Command::kVendingBuy: return buy(request);
    case Command::kVendingRestock: return restock(request);
    case Command::kStatus: return status(request);
    default:
      return vendingReply(request, Status::kBadRequest,
                          "command " + std::string{commandName(request.command)} +
                              " is not a vending command");
  }
}

/// PRAGMA user_version (0 in a new file) records that the catalogue went in,
/// so a machine that was emptied on purpose is not refilled at restart.
void VendingService::insertDefaultCatalogueOnce() {
  Transaction tx{db_};
  if (db_.queryInt("PRAGMA user_version") == 0) {
    db_.exec(kDefaultCatalogue);
    db_.exec("PRAGMA user_version = 1");
  }
  tx.commit();
}

Reply VendingService::list(const Request& request) {
  std::vector<std::string> items;  // "CODE;NAME;PRICE_CENTS;STOCK"
  Statement all = db_.prepare("SELECT code, name, price_cents, stock FROM products ORDER BY code");
  while (all.step())
    items.push_back(all.columnText(0) + ";" + all.columnText(1) + ";" +
                    std::to_string(all.columnInt(2)) + ";" + std::to_string(all.columnInt(3)));

  Reply done = vendingReply(request, Status::kOk, std::to_string(items.size()) + " products");
  for (std::string& item : items) done.fields.add("item", std::move(item));
  return done;
}

Reply VendingService::buy(const Request& request) {
  std::optional<std::string_view> code = request.fields.find("product");
  if (!code || !isProductCode(*code))
    return vendingReply(request, Status::kBadRequest, "product must be 1-8 characters A-Z 0-9");

  Transaction tx{db_};
  // One UPDATE both checks and takes the item: there is no moment between
  // "stock > 0" and "stock - 1" in which another buyer could take the last one.
  Statement take = db_.prepare(
      "UPDATE products SET stock = stock - 1 WHERE code = ? AND stock > 0");
  take.bind(1, *code);
  take.step();
  bool taken = db_.changes() == 1;

  Statement read = db_.prepare("SELECT name, price_cents, stock FROM products WHERE code = ?");
  read.bind(1, *code);
  if (!read.step())  // no such product
    return vendingReply(request, Status::kUnknownProduct, "No product " + std::string{*code});
  std::string name = read.columnText(0);
  if (!taken)  // exists, but stock was 0
    return vendingReply(request, Status::kOutOfStock, name + " is out of stock");
  std::int64_t price = read.columnInt(1);
  std::int64_t stock = read.columnInt(2);
  tx.commit();

  Reply done = vendingReply(request, Status::kOk, "Enjoy your " + name);
  done.fields.add("product", std::string{*code});
  done.fields.add("name", name);
  done.fields.add("price", std::to_string(price));
  done.fields.add("stock", std::to_string(stock));
  return done;
}

Reply VendingService::restock(const Request& request) {
  // Staff PIN check goes here (later issue): no valid PIN -> FORBIDDEN.
  std::optional<std::string_view> code = request.fields.find("product");
  if (!code || !isProductCode(*code))
    return vendingReply(request, Status::kBadRequest, "product must be 1-8 characters A-Z 0-9");
  std::optional<std::string_view> qty_text = request.fields.find("qty");
  std::optional<std::int64_t> qty = qty_text ? parseQuantity(*qty_text) : std::nullopt;
  if (!qty)
    return vendingReply(request, Status::kBadRequest, "qty must be a whole number 1..1000");

  Transaction tx{db_};
  Statement add = db_.prepare("UPDATE products SET stock = stock + ? WHERE code = ?");
  add.bind(1, *qty);
  add.bind(2, *code);
  add.step();
  if (db_.changes() == 0)  // no such product; tx rolls back (nothing changed)
    return vendingReply(request, Status::kUnknownProduct, "No product " + std::string{*code});
  Statement read = db_.prepare("SELECT stock FROM products WHERE code = ?");
  read.bind(1, *code);
  read.step();
  std::int64_t stock = read.columnInt(0);
  tx.commit();

  Reply done = vendingReply(request, Status::kOk,
                            "Restocked " + std::string{*code} + ": " + std::to_string(stock) +
                                " in stock");
  done.fields.add("product", std::string{*code});
  done.fields.add("stock", std::to_string(stock));
  return done;
}

Reply VendingService::status(const Request& request) {
  std::int64_t products = db_.queryInt("SELECT COUNT(*) FROM products");
  std::int64_t units = db_.queryInt("SELECT COALESCE(SUM(stock), 0) FROM products");
  Reply done = vendingReply(request, Status::kOk,
                            std::to_string(products) + " products, " + std::to_string(units) +
                                " units in stock");
  done.fields.add("vending.products", std::to_string(products));
  done.fields.add("vending.stock", std::to_string(units));
  return done;
}

}  // namespace mc
