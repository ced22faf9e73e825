#include "noma/lsp/server.h"

#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "llvm/Support/JSON.h"
#include "noma/lsp/transport.h"

namespace noma::lsp {
namespace {

namespace json = llvm::json;
using ::testing::HasSubstr;

json::Value Parse(const std::string& text) {
  llvm::Expected<json::Value> value = json::parse(text);
  EXPECT_TRUE(static_cast<bool>(value)) << text;
  if (!value) {
    llvm::consumeError(value.takeError());
    return nullptr;
  }
  return std::move(*value);
}

std::string Request(int id, const std::string& method, const std::string& params) {
  return absl::StrCat(R"({"jsonrpc":"2.0","id":)", id, R"(,"method":")", method, R"(","params":)",
                      params, "}");
}

std::string Notification(const std::string& method, const std::string& params) {
  return absl::StrCat(R"({"jsonrpc":"2.0","method":")", method, R"(","params":)", params, "}");
}

std::optional<int64_t> ErrorCodeOf(const json::Value& v) {
  const json::Object* error = v.getAsObject()->getObject("error");
  if (error == nullptr) return std::nullopt;
  return error->getInteger("code");
}

class ServerTest : public ::testing::Test {
 protected:
  std::vector<json::Value> Send(const std::string& message) {
    std::vector<json::Value> out;
    for (const std::string& text : server_.Handle(message)) out.push_back(Parse(text));
    return out;
  }
  void Initialize() {
    auto out = Send(Request(1, "initialize", R"({"capabilities":{}})"));
    ASSERT_EQ(out.size(), 1u);
    const json::Object* caps = out[0].getAsObject()->getObject("result")->getObject("capabilities");
    ASSERT_NE(caps, nullptr);
    EXPECT_EQ(caps->getBoolean("hoverProvider"), true);
  }
  Server server_;
};

TEST_F(ServerTest, RequestsBeforeInitializeFail) {
  auto out = Send(Request(7, "textDocument/hover", "{}"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(ErrorCodeOf(out[0]), kServerNotInitialized);
  EXPECT_EQ(out[0].getAsObject()->getInteger("id"), 7);
}

TEST_F(ServerTest, MalformedMessagesGetErrors) {
  Initialize();
  auto out = Send("{not json");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(ErrorCodeOf(out[0]), kParseError);
  EXPECT_EQ(out[0].getAsObject()->get("id")->kind(), json::Value::Null);
  out = Send("[1, 2]");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(ErrorCodeOf(out[0]), kInvalidRequest);
  out = Send(R"({"id":{"x":1},"method":"shutdown"})");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(ErrorCodeOf(out[0]), kInvalidRequest);
  out = Send(std::string(100000, '['));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(ErrorCodeOf(out[0]), kParseError);
  out = Send(Request(3, "textDocument/hover", "[]"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(ErrorCodeOf(out[0]), kInvalidParams);
}

TEST_F(ServerTest, UnknownMethodsAndUnopenedDocuments) {
  Initialize();
  auto out = Send(Request(2, "textDocument/rename", "{}"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(ErrorCodeOf(out[0]), kMethodNotFound);
  EXPECT_TRUE(Send(Notification("workspace/unknownThing", "{}")).empty());
  out = Send(Request(
      3, "textDocument/hover",
      R"({"textDocument":{"uri":"file:///nope.noma"},"position":{"line":0,"character":0}})"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(ErrorCodeOf(out[0]), kRequestFailed);
  EXPECT_THAT(out[0].getAsObject()->getObject("error")->getString("message")->str(),
              HasSubstr("not open"));
}

TEST_F(ServerTest, DiagnosticsAppearAndClear) {
  Initialize();
  auto out = Send(
      Notification("textDocument/didOpen",
                   R"({"textDocument":{"uri":"file:///t.noma","languageId":"noma","version":1,)"
                   R"("text":"fn main() {\n    print(y);\n}\n"}})"));
  ASSERT_EQ(out.size(), 1u);
  const json::Object* params = out[0].getAsObject()->getObject("params");
  EXPECT_EQ(out[0].getAsObject()->getString("method"), "textDocument/publishDiagnostics");
  const json::Array* diagnostics = params->getArray("diagnostics");
  ASSERT_EQ(diagnostics->size(), 1u);
  const json::Object* d = (*diagnostics)[0].getAsObject();
  EXPECT_THAT(d->getString("message")->str(), HasSubstr("unknown name 'y'"));
  EXPECT_EQ(d->getObject("range")->getObject("start")->getInteger("line"), 1);
  out = Send(Notification("textDocument/didChange",
                          R"({"textDocument":{"uri":"file:///t.noma","version":2},)"
                          R"("contentChanges":[{"text":"fn main() {\n    print(1);\n}\n"}]})"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].getAsObject()->getObject("params")->getArray("diagnostics")->empty());
  EXPECT_EQ(out[0].getAsObject()->getObject("params")->getInteger("version"), 2);
  out = Send(Notification("textDocument/didClose", R"({"textDocument":{"uri":"file:///t.noma"}})"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(server_.open_documents(), 0u);
}

TEST_F(ServerTest, NotesBecomeRelatedInformation) {
  Initialize();
  // A shape error the compiler proves: two operands with literal shapes that disagree.
  auto out = Send(Notification(
      "textDocument/didOpen",
      R"({"textDocument":{"uri":"file:///s.noma","version":1,)"
      R"("text":"fn main() {\n    let a = tensor [[1, 2]];\n    let b = tensor [[1], [2], [3]];\n    print(matmul(a, b));\n}\n"}})"));
  ASSERT_EQ(out.size(), 1u);
  const json::Array* diagnostics =
      out[0].getAsObject()->getObject("params")->getArray("diagnostics");
  ASSERT_FALSE(diagnostics->empty());
  EXPECT_THAT((*diagnostics)[0].getAsObject()->getString("message")->str(),
              HasSubstr("inner dimensions differ"));
}

TEST_F(ServerTest, ShutdownAndExit) {
  Initialize();
  auto out = Send(Request(9, "shutdown", "null"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].getAsObject()->get("result")->kind(), json::Value::Null);
  out = Send(Request(10, "textDocument/hover", "{}"));
  EXPECT_EQ(ErrorCodeOf(out[0]), kInvalidRequest);
  Send(Notification("exit", "null"));
  EXPECT_TRUE(server_.exited());
  EXPECT_EQ(server_.exit_code(), 0);
}

TEST(Serve, RunsOverStreams) {
  std::ostringstream in_text;
  auto frame = [&](const std::string& body) {
    in_text << "Content-Length: " << body.size() << "\r\n\r\n" << body;
  };
  frame(Request(1, "initialize", "{}"));
  in_text << "garbage without a header\r\n\r\n";
  frame(Request(2, "shutdown", "null"));
  frame(Notification("exit", "null"));
  std::istringstream in(in_text.str());
  std::ostringstream out;
  EXPECT_EQ(Serve(in, out), 0);
  std::istringstream replies(out.str());
  std::string body, error;
  int count = 0;
  while (ReadMessage(replies, &body, &error) == ReadResult::kMessage) ++count;
  EXPECT_EQ(count, 3);  // initialize, the frame error, shutdown.
  std::istringstream empty("");
  std::ostringstream ignored;
  EXPECT_EQ(Serve(empty, ignored), 1);  // End of input without shutdown.
}

}  // namespace
}  // namespace noma::lsp
