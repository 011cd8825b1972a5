/// @file vending_service.hpp
/// @brief VendingService: a vending machine's catalogue and stock.
/// Runs in: the process that runs the vending service.
/// Owns: the vending database connection (<data-dir>/vending.db).
///
/// Model: table products(code, name, price_cents, stock). A new database gets
/// a default catalogue (A1 Cola ... C2 Green tea) once; from then on only buy
/// and restock change it.
#pragma once

#include <filesystem>
#include <string>

#include "database.hpp"
#include "protocol.hpp"

namespace mc {

/// The vending service. Thread safety: not thread-safe; the caller
/// serializes handle().
class VendingService {
 public:
  /// @brief Opens the database at @p db_path, filling in the default
  /// catalogue if it has never been filled.
  /// @throws std::runtime_error on a storage error.
  explicit VendingService(const std::filesystem::path& db_path);

  /// @brief Which service this is: always Service::kVending.
  Service service() const { return Service::kVending; }
  /// @brief The service's connection, for a caller that runs several
  /// handle() calls in one transaction of its own (ServiceState::handleAll).
  Database& database() { return db_; }
  /// @brief Runs list, buy, restock or status; answers BAD_REQUEST to anything else.
  /// @throws std::runtime_error on a storage error (the caller turns it into
  /// INTERNAL_ERROR).
  Reply handle(const Request& request);

 private:
  Reply list(const Request& request);
  Reply buy(const Request& request);
  Reply restock(const Request& request);
  Reply status(const Request& request);
  void insertDefaultCatalogueOnce();

  Database db_;
};

}  // namespace mc
