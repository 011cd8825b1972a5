/// @file protocol.hpp
/// @brief The vocabulary of MultiCabinet: commands, services, status codes,
/// and the in-memory Request and Reply every part of the system passes around.
/// Runs in: every process (server, service children, client, tests).
///
/// The bytes on the wire are defined in wire_codec.hpp and docs/protocol.md;
/// this header holds only what the numbers mean.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mc {

/// Wire magic ("MC") and version; see docs/protocol.md.
inline constexpr std::uint16_t kMagic = 0x4D43;
inline constexpr std::uint8_t kVersion = 1;  ///< the protocol version this code speaks
/// Largest request payload a server accepts, in bytes.
inline constexpr std::size_t kMaxRequestPayload = 256;
/// Largest reply payload a server sends, in bytes.
inline constexpr std::size_t kMaxReplyPayload = 2048;

/// Command codes (one byte on the wire). The code decides which service runs it.
enum class Command : std::uint8_t {
  kParcelDeposit = 1,   ///< parcel service: store a parcel, get locker + code
  kParcelPickup = 2,    ///< parcel service: field `code`
  kFoodDeposit = 3,     ///< food service: store a meal, get slot + code
  kFoodPickup = 4,      ///< food service: field `code`
  kVendingList = 5,     ///< vending service: the catalogue
  kVendingBuy = 6,      ///< vending service: field `product`
  kVendingRestock = 7,  ///< vending service: fields `product`, `qty`
  kStatus = 8,          ///< every service: occupancy and stock summary
};

/// The three services, each run by its own child process in stages 3 and 4.
/// kServer marks replies made by the server itself (errors, merged status).
enum class Service : std::uint8_t { kServer = 0, kParcel = 1, kFood = 2, kVending = 3 };

/// The services that own state, in a fixed order (index = value - 1).
inline constexpr Service kServices[] = {Service::kParcel, Service::kFood, Service::kVending};
inline constexpr std::size_t kServiceCount = 3;  ///< the number of entries in kServices

/// Reply status codes (one byte on the wire).
enum class Status : std::uint8_t {
  kOk = 0,
  kWrongCode = 1,       ///< pickup code unknown or already used
  kFull = 2,            ///< no free compartment
  kOutOfStock = 3,      ///< product exists, stock is 0
  kUnknownProduct = 4,  ///< no such product code
  kBadRequest = 5,      ///< malformed frame, unknown command, bad field
  kUnavailable = 6,     ///< the service's process is gone
  kBusy = 7,            ///< too many connections or requests
  kLockedOut = 8,       ///< too many wrong codes; try later
  kForbidden = 9,       ///< staff operation without the staff PIN
  kInternalError = 10,  ///< the server failed (storage error, ...)
};

/// @brief Ordered key=value pairs: the payload of requests and replies.
/// Keys are [a-z0-9_.]+; values are any bytes but '\n'. A key may repeat
/// (the catalogue has one `item` per product).
class Fields {
 public:
  using Entry = std::pair<std::string, std::string>;  ///< one key=value line
  /// @brief Appends key=value. Caller guarantees the key/value rules above.
  void add(std::string key, std::string value);
  /// @brief The first value for @p key, if any.
  std::optional<std::string_view> find(std::string_view key) const;
  /// @brief Every value for @p key, in order.
  std::vector<std::string_view> findAll(std::string_view key) const;
  /// @brief Every pair, in the order added.
  const std::vector<Entry>& entries() const { return entries_; }
  /// @brief True when there is no pair at all.
  bool empty() const { return entries_.empty(); }
  /// @brief Makes room for @p count pairs, so that adding them allocates once.
  void reserve(std::size_t count) { entries_.reserve(count); }
  /// @brief Same pairs in the same order.
  bool operator==(const Fields&) const = default;

 private:
  std::vector<Entry> entries_;
};

/// Who served a reply: shown to students so they can see processes and threads.
struct ServedBy {
  Service service = Service::kServer;  ///< the service that made the reply
  std::uint32_t pid = 0;  ///< getpid() of the serving process
  std::uint32_t tid = 0;  ///< gettid() of the serving thread
  /// @brief Field by field.
  bool operator==(const ServedBy&) const = default;
};

/// A decoded request.
struct Request {
  Command command = Command::kStatus;  ///< what to do, and so which service does it
  std::uint32_t request_id = 0;  ///< chosen by the client, echoed in the reply
  std::uint32_t user_id = 0;      ///< who asks (stored with deposits; no authentication)
  Fields fields;  ///< `code`, `product`, `qty` as the command needs
  /// Not on the wire: the server's id for this request in a --trace file
  /// (trace.hpp), carried to the service child in the RequestRecord. 0 = none.
  std::uint64_t trace_id = 0;
  /// @brief Field by field.
  bool operator==(const Request&) const = default;
};

/// A reply. `fields` always holds `message`, plus the operation's results.
struct Reply {
  Command command = Command::kStatus;  ///< echoes the request's command
  std::uint32_t request_id = 0;        ///< echoes the request's id
  Status status = Status::kOk;  ///< how it went
  ServedBy served_by;           ///< which service, process and thread answered
  Fields fields;                ///< `message`, plus the operation's results
  /// @brief Field by field.
  bool operator==(const Reply&) const = default;
};

/// @brief True when @p code is one of the Command values above.
bool isKnownCommand(std::uint8_t code);
/// @brief True when @p code is one of the Status values above.
bool isKnownStatus(std::uint8_t code);
/// @brief True when @p code is one of the Service values above (kServer included).
bool isKnownService(std::uint8_t code);
/// @brief The service that runs @p command; nullopt for kStatus (all of them).
std::optional<Service> serviceFor(Command command);
/// @brief "PARCEL_DEPOSIT", ... for logs and traces.
std::string_view commandName(Command command);
/// @brief "parcel", "food", "vending", "server".
std::string_view serviceName(Service service);
/// @brief "OK", "WRONG_CODE", ... as in the client's JSON `status`.
std::string_view statusName(Status status);
/// @brief The Status named @p name ("OK", ...), if any.
std::optional<Status> statusFromName(std::string_view name);

/// @name Printing, for logs and for test failures (GoogleTest finds these, so a
/// failed EXPECT_EQ shows "WRONG_CODE", not "1-byte object <01>"). A value that
/// is not one of the enum's is shown with its number: "UNKNOWN_COMMAND(42)".
/// Thread-safe (pure).
/// @{
std::ostream& operator<<(std::ostream& out, Command command);  ///< commandName
std::ostream& operator<<(std::ostream& out, Service service);  ///< serviceName
std::ostream& operator<<(std::ostream& out, Status status);    ///< statusName
/// @brief "{message=Locker P-03 opened, locker=P-03}"
std::ostream& operator<<(std::ostream& out, const Fields& fields);
/// @brief "parcel pid 4242 tid 4243"
std::ostream& operator<<(std::ostream& out, const ServedBy& served_by);
/// @brief "PARCEL_PICKUP request 7 from user 1001 {code=482913}"
std::ostream& operator<<(std::ostream& out, const Request& request);
/// @brief "OK to PARCEL_PICKUP request 7 {message=...} served by parcel pid 4242 tid 4243"
std::ostream& operator<<(std::ostream& out, const Reply& reply);
/// @}

/// @brief A reply to @p request with @p status and a `message` field,
/// served by the calling thread of the calling process as @p by.
Reply makeReply(const Request& request, Status status, std::string message,
                Service by = Service::kServer);

/// @brief The kernel thread id of the calling thread (gettid).
std::uint32_t currentTid();

}  // namespace mc
