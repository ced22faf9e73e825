#include "noma/lsp/server.h"

#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"
#include "noma/lsp/transport.h"
#include "noma/lsp/version.h"

namespace noma::lsp {
namespace json = llvm::json;

namespace {

// Deeper JSON is refused before parsing, so that neither parsing nor destroying the value can
// exhaust the stack. LSP messages nest a handful of levels.
constexpr int kMaxJsonDepth = 256;

bool NestsTooDeep(absl::string_view text) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

// JSON strings must be UTF-8; source text and messages quoting it may not be.
std::string Utf8(absl::string_view text) {
  llvm::StringRef ref(text.data(), text.size());
  return json::isUTF8(ref) ? std::string(text) : json::fixUTF8(ref);
}

std::string Serialize(const json::Value& value) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << value;
  os.flush();
  return text;
}

json::Value ToJson(const Position& p) {
  return json::Object{{"line", static_cast<int64_t>(p.line)},
                      {"character", static_cast<int64_t>(p.character)}};
}

json::Value ToJson(const Range& r) {
  return json::Object{{"start", ToJson(r.start)}, {"end", ToJson(r.end)}};
}

int SeverityNumber(syntax::Severity severity) {
  switch (severity) {
    case syntax::Severity::kError:
      return 1;
    case syntax::Severity::kWarning:
      return 2;
    case syntax::Severity::kNote:
      return 3;
  }
  return 1;
}

json::Value DiagnosticsJson(const Document& doc, const std::string& uri) {
  json::Array out;
  for (const syntax::Diagnostic& d : doc.diagnostics()) {
    std::string message = d.message;
    if (!d.hint.empty()) absl::StrAppend(&message, "\nhint: ", d.hint);
    json::Array related;
    for (const syntax::Diagnostic& note : d.notes) {
      std::string note_message = note.message;
      if (!note.hint.empty()) absl::StrAppend(&note_message, "\nhint: ", note.hint);
      related.push_back(json::Object{
          {"location", json::Object{{"uri", uri}, {"range", ToJson(doc.ToRange(note.range))}}},
          {"message", Utf8(note_message)}});
    }
    json::Object diagnostic{{"range", ToJson(doc.ToRange(d.range))},
                            {"severity", SeverityNumber(d.severity)},
                            {"source", "noma"},
                            {"message", Utf8(message)}};
    if (!related.empty()) diagnostic["relatedInformation"] = std::move(related);
    out.push_back(std::move(diagnostic));
  }
  return out;
}

// file:///a/b%20c.noma -> /a/b c.noma, for messages; other schemes stay as they are.
std::string PathOfUri(const std::string& uri) {
  constexpr absl::string_view kFile = "file://";
  if (!absl::StartsWith(uri, kFile)) return uri;
  std::string path;
  for (size_t i = kFile.size(); i < uri.size(); ++i) {
    int hi, lo;
    auto hex = [](char c) {
      return c >= '0' && c <= '9'   ? c - '0'
             : c >= 'a' && c <= 'f' ? c - 'a' + 10
             : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                    : -1;
    };
    if (uri[i] == '%' && i + 2 < uri.size() && (hi = hex(uri[i + 1])) >= 0 &&
        (lo = hex(uri[i + 2])) >= 0) {
      path.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      path.push_back(uri[i]);
    }
  }
  return path;
}

json::Value SymbolJson(const Document& doc, const SymbolInfo& symbol) {
  json::Array children;
  for (const SymbolInfo& child : symbol.children) children.push_back(SymbolJson(doc, child));
  return json::Object{{"name", Utf8(symbol.name)},
                      {"detail", Utf8(symbol.detail)},
                      {"kind", symbol.kind},
                      {"range", ToJson(doc.ToRange(symbol.range))},
                      {"selectionRange", ToJson(doc.ToRange(symbol.selection))},
                      {"children", std::move(children)}};
}

json::Value Capabilities() {
  return json::Object{
      {"positionEncoding", "utf-16"},
      {"textDocumentSync", json::Object{{"openClose", true}, {"change", 1}}},
      {"hoverProvider", true},
      {"definitionProvider", true},
      {"documentSymbolProvider", true},
      {"documentFormattingProvider", true},
      {"completionProvider", json::Object{{"triggerCharacters", json::Array{}}}},
  };
}

}  // namespace

struct Server::Context {
  std::string method;
  std::optional<json::Value> id;  // Absent for notifications.
  const json::Object* params = nullptr;
  std::vector<std::string>* out;
  bool answered = false;

  void Reply(json::Value result) {
    answered = true;
    if (!id) return;
    out->push_back(
        Serialize(json::Object{{"jsonrpc", "2.0"}, {"id", *id}, {"result", std::move(result)}}));
  }
  void Error(int code, absl::string_view message) {
    answered = true;
    if (!id) return;  // Notifications are never answered, not even with errors.
    out->push_back(Serialize(
        json::Object{{"jsonrpc", "2.0"},
                     {"id", *id},
                     {"error", json::Object{{"code", code}, {"message", Utf8(message)}}}}));
  }
  void Notify(absl::string_view notification, json::Value notification_params) {
    out->push_back(Serialize(json::Object{{"jsonrpc", "2.0"},
                                          {"method", std::string(notification)},
                                          {"params", std::move(notification_params)}}));
  }
};

std::string Server::FrameError(int code, absl::string_view message) {
  return Serialize(
      json::Object{{"jsonrpc", "2.0"},
                   {"id", nullptr},
                   {"error", json::Object{{"code", code}, {"message", Utf8(message)}}}});
}

std::vector<std::string> Server::Handle(absl::string_view message) {
  std::vector<std::string> out;
  if (NestsTooDeep(message)) {
    out.push_back(FrameError(kParseError, "JSON nested too deeply"));
    return out;
  }
  llvm::Expected<json::Value> parsed = json::parse(llvm::StringRef(message.data(), message.size()));
  if (!parsed) {
    out.push_back(FrameError(kParseError, llvm::toString(parsed.takeError())));
    return out;
  }
  const json::Object* object = parsed->getAsObject();
  if (object == nullptr) {
    out.push_back(FrameError(kInvalidRequest, "a message must be a JSON object"));
    return out;
  }
  Context context;
  context.out = &out;
  if (const json::Value* id = object->get("id")) {
    if (id->kind() != json::Value::Number && id->kind() != json::Value::String) {
      out.push_back(FrameError(kInvalidRequest, "'id' must be a number or a string"));
      return out;
    }
    context.id = *id;
  }
  std::optional<llvm::StringRef> method = object->getString("method");
  if (!method) {
    // A response to a request of ours (we send none), or garbage: answer requests only.
    if (context.id && object->get("result") == nullptr && object->get("error") == nullptr) {
      context.Error(kInvalidRequest, "the message has no 'method'");
    }
    return out;
  }
  context.method = method->str();
  if (const json::Value* params = object->get("params")) {
    context.params = params->getAsObject();
    if (context.params == nullptr && params->kind() != json::Value::Null) {
      context.Error(kInvalidParams, "'params' must be an object");
      return out;
    }
  }
  Dispatch(context);
  if (context.id && !context.answered) {
    context.Error(kInternalError, absl::StrCat("no answer to '", context.method, "'"));
  }
  return out;
}

void Server::Dispatch(Context& c) {
  static const json::Object kNoParams;
  const json::Object& params = c.params != nullptr ? *c.params : kNoParams;
  if (c.method == "exit") {
    exited_ = true;
    return;
  }
  if (shutdown_) {
    c.Error(kInvalidRequest, "the server is shutting down");
    return;
  }
  if (c.method == "initialize") {
    if (initialized_) {
      c.Error(kInvalidRequest, "the server is already initialized");
      return;
    }
    initialized_ = true;
    c.Reply(json::Object{{"capabilities", Capabilities()},
                         {"serverInfo", json::Object{{"name", "noma"}, {"version", kVersion}}}});
    return;
  }
  if (!initialized_) {
    c.Error(kServerNotInitialized, "the server is not initialized");
    return;
  }
  if (c.method == "shutdown") {
    shutdown_ = true;
    c.Reply(nullptr);
    return;
  }

  const json::Object* text_document = params.getObject("textDocument");
  std::optional<llvm::StringRef> uri_ref =
      text_document != nullptr ? text_document->getString("uri") : std::nullopt;
  std::string uri = uri_ref ? uri_ref->str() : "";
  auto publish = [&](const Document* doc) {
    json::Value diagnostics =
        doc != nullptr ? DiagnosticsJson(*doc, Utf8(uri)) : json::Value(json::Array{});
    json::Object notification{{"uri", Utf8(uri)}, {"diagnostics", std::move(diagnostics)}};
    if (doc != nullptr) notification["version"] = doc->version();
    c.Notify("textDocument/publishDiagnostics", std::move(notification));
  };

  // Text synchronisation (notifications: bad ones are dropped, as there is no one to tell).
  if (c.method == "textDocument/didOpen" || c.method == "textDocument/didChange") {
    if (!uri_ref) return;
    int64_t version = text_document->getInteger("version").value_or(0);
    std::string text;
    if (c.method == "textDocument/didOpen") {
      std::optional<llvm::StringRef> t = text_document->getString("text");
      if (!t) return;
      text = t->str();
    } else {
      auto it = documents_.find(uri);
      const json::Array* changes = params.getArray("contentChanges");
      if (it == documents_.end() || changes == nullptr) return;
      text = it->second->text();
      for (const json::Value& change : *changes) {
        const json::Object* object = change.getAsObject();
        std::optional<llvm::StringRef> t = object ? object->getString("text") : std::nullopt;
        if (!t) return;
        const json::Object* range = object->getObject("range");
        if (range == nullptr) {
          text = t->str();
          continue;
        }
        // Incremental edits are not asked for (change: 1), but cost little to accept.
        LineIndex lines(text);
        auto offset = [&](const char* key) {
          const json::Object* p = range->getObject(key);
          Position pos;
          if (p != nullptr) {
            pos.line =
                static_cast<uint32_t>(std::max<int64_t>(0, p->getInteger("line").value_or(0)));
            pos.character =
                static_cast<uint32_t>(std::max<int64_t>(0, p->getInteger("character").value_or(0)));
          }
          return lines.ToOffset(pos);
        };
        uint32_t begin = offset("start"), end = offset("end");
        if (end < begin) std::swap(begin, end);
        text = absl::StrCat(text.substr(0, begin), t->str(), text.substr(end));
      }
    }
    auto doc = std::make_unique<Document>(PathOfUri(uri), std::move(text), version);
    const Document* raw = doc.get();
    documents_[uri] = std::move(doc);
    publish(raw);
    return;
  }
  if (c.method == "textDocument/didClose") {
    if (uri_ref && documents_.erase(uri) > 0) publish(nullptr);
    return;
  }
  if (c.method == "initialized" || c.method == "textDocument/didSave" ||
      c.method.rfind("$/", 0) == 0) {
    if (c.id) c.Error(kMethodNotFound, absl::StrCat("no request '", c.method, "'"));
    return;
  }

  // Requests on a document.
  bool formatting = c.method == "textDocument/formatting";
  bool symbols = c.method == "textDocument/documentSymbol";
  bool positional = c.method == "textDocument/hover" || c.method == "textDocument/definition" ||
                    c.method == "textDocument/completion";
  if (!formatting && !symbols && !positional) {
    if (c.id) c.Error(kMethodNotFound, absl::StrCat("unknown method '", c.method, "'"));
    return;
  }
  if (!uri_ref) {
    c.Error(kInvalidParams, "missing textDocument.uri");
    return;
  }
  auto it = documents_.find(uri);
  if (it == documents_.end()) {
    c.Error(kRequestFailed, absl::StrCat("document not open: ", uri));
    return;
  }
  const Document& doc = *it->second;
  if (formatting) {
    absl::StatusOr<std::string> formatted = doc.Format();
    if (!formatted.ok()) {
      c.Error(kRequestFailed, formatted.status().message());
      return;
    }
    if (*formatted == doc.text()) {
      c.Reply(json::Array{});
      return;
    }
    Range whole{{0, 0}, doc.lines().ToPosition(static_cast<uint32_t>(doc.text().size()))};
    c.Reply(json::Array{json::Object{{"range", ToJson(whole)}, {"newText", Utf8(*formatted)}}});
    return;
  }
  if (symbols) {
    json::Array out;
    for (const SymbolInfo& symbol : doc.Symbols()) out.push_back(SymbolJson(doc, symbol));
    c.Reply(std::move(out));
    return;
  }
  const json::Object* position = params.getObject("position");
  std::optional<int64_t> line = position ? position->getInteger("line") : std::nullopt;
  std::optional<int64_t> character = position ? position->getInteger("character") : std::nullopt;
  if (!line || !character || *line < 0 || *character < 0 || *line > UINT32_MAX ||
      *character > UINT32_MAX) {
    c.Error(kInvalidParams, "missing or invalid position");
    return;
  }
  uint32_t offset =
      doc.lines().ToOffset({static_cast<uint32_t>(*line), static_cast<uint32_t>(*character)});
  if (c.method == "textDocument/hover") {
    std::optional<std::string> hover = doc.Hover(offset);
    if (!hover) {
      c.Reply(nullptr);
      return;
    }
    c.Reply(
        json::Object{{"contents", json::Object{{"kind", "markdown"}, {"value", Utf8(*hover)}}}});
    return;
  }
  if (c.method == "textDocument/definition") {
    std::optional<syntax::SourceRange> target = doc.Definition(offset);
    if (!target) {
      c.Reply(nullptr);
      return;
    }
    c.Reply(json::Object{{"uri", Utf8(uri)}, {"range", ToJson(doc.ToRange(*target))}});
    return;
  }
  json::Array items;
  for (const CompletionCandidate& candidate : doc.Complete(offset)) {
    json::Object item{{"label", Utf8(candidate.label)},
                      {"kind", candidate.kind},
                      {"detail", Utf8(candidate.detail)}};
    if (!candidate.documentation.empty()) item["documentation"] = Utf8(candidate.documentation);
    items.push_back(std::move(item));
  }
  c.Reply(json::Object{{"isIncomplete", false}, {"items", std::move(items)}});
}

int Serve(std::istream& in, std::ostream& out) {
  Server server;
  std::string body;
  std::string error;
  while (!server.exited()) {
    switch (ReadMessage(in, &body, &error)) {
      case ReadResult::kEnd:
        return 1;
      case ReadResult::kBadFrame:
        WriteMessage(out, Server::FrameError(kParseError, error));
        continue;
      case ReadResult::kTooLarge:
        WriteMessage(out, Server::FrameError(kRequestFailed, error));
        continue;
      case ReadResult::kMessage:
        for (const std::string& message : server.Handle(body)) WriteMessage(out, message);
        continue;
    }
  }
  return server.exit_code();
}

}  // namespace noma::lsp
