/// @file server_probes.cpp
/// @brief A running cabinetd seen from outside (server_probes.hpp).
/// Runs in: an e2e or reliability test process, any thread. Owns: nothing.
#include "server_probes.hpp"

#include <fstream>
#include <sstream>

#include "judge.hpp"
#include "test_client.hpp"

namespace mc::test {

bool servedAgainWithin(const ServerProcess& server, std::chrono::milliseconds limit) {
  return pollUntil(limit, std::chrono::milliseconds(50),
                   [&server] { return static_cast<bool>(isServed(server.port())); });
}

void warmUp(const ServerProcess& server) {
  ASSERT_TRUE(isServed(server.port()));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
}

long procStatusValue(pid_t pid, const std::string& key) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(file, line)) {
    if (line.rfind(key, 0) == 0) return std::stol(line.substr(key.size()));
  }
  return -1;
}

long cpuTicks(pid_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(file, text);
  std::istringstream rest{text.substr(text.rfind(')') + 2)};  // state is field 3
  std::string skip;
  for (int field = 3; field < 14; ++field) rest >> skip;
  long utime = 0, stime = 0;
  rest >> utime >> stime;
  return utime + stime;
}

Answers askEach(const std::vector<Fd>& sockets, const std::string& busy_message) {
  Answers answers;
  Request list = listProducts();
  list.request_id = 1;
  const Bytes frame = judgeFrame(list);
  for (const Fd& socket : sockets) {
    (void)sendBytes(socket, frame);
    IncomingReply got = receiveReply(socket, std::chrono::seconds(3));  // a stuck one costs 3 s
    if (got.io != IoStatus::kOk) continue;
    answers.served += got.reply.status == Status::kOk;
    answers.busy += got.reply.status == Status::kBusy && fieldOf(got.reply, "message") == busy_message;
  }
  return answers;
}

}  // namespace mc::test
