#include "noma/lsp/transport.h"

#include <sstream>
#include <string>

#include "gtest/gtest.h"

namespace noma::lsp {
namespace {

TEST(Transport, ReadsFramesAndSkipsBadOnes) {
  std::istringstream in(
      "Content-Length: 2\r\n\r\n{}"
      "Content-Type: x\r\nContent-Length:3\n\n[1]"
      "X-Nothing: 1\r\n\r\n"
      "Content-Length: nope\r\n\r\n"
      "Content-Length: 99999999999\r\n\r\n"
      "Content-Length: 10\r\n\r\nshort");
  std::string body, error;
  EXPECT_EQ(ReadMessage(in, &body, &error), ReadResult::kMessage);
  EXPECT_EQ(body, "{}");
  EXPECT_EQ(ReadMessage(in, &body, &error), ReadResult::kMessage);
  EXPECT_EQ(body, "[1]");
  EXPECT_EQ(ReadMessage(in, &body, &error), ReadResult::kBadFrame);
  EXPECT_EQ(error, "the message has no Content-Length header");
  EXPECT_EQ(ReadMessage(in, &body, &error), ReadResult::kBadFrame);
  EXPECT_EQ(error, "the Content-Length header is not a number");
  // Too large: the body is skipped, which here runs into the end of input.
  EXPECT_EQ(ReadMessage(in, &body, &error), ReadResult::kEnd);
  EXPECT_EQ(ReadMessage(in, &body, &error), ReadResult::kEnd);
}

TEST(Transport, TooLargeFrameIsSkipped) {
  std::string big(kMaxMessageBytes + 1, ' ');
  std::istringstream in("Content-Length: " + std::to_string(big.size()) + "\r\n\r\n" + big +
                        "Content-Length: 1\r\n\r\n7");
  std::string body, error;
  EXPECT_EQ(ReadMessage(in, &body, &error), ReadResult::kTooLarge);
  EXPECT_EQ(ReadMessage(in, &body, &error), ReadResult::kMessage);
  EXPECT_EQ(body, "7");
}

TEST(Transport, WritesFrames) {
  std::ostringstream out;
  WriteMessage(out, "{\"a\":1}");
  EXPECT_EQ(out.str(), "Content-Length: 7\r\n\r\n{\"a\":1}");
}

}  // namespace
}  // namespace noma::lsp
