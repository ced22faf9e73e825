#include "noma/lsp/document.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "noma/driver/pipeline.h"
#include "noma/graph/lower.h"
#include "noma/graph/shapes.h"
#include "noma/syntax/formatter.h"
#include "noma/syntax/lexer.h"
#include "noma/syntax/parser.h"

namespace noma::lsp {
namespace {

bool IsContinuationByte(unsigned char c) { return (c & 0xC0) == 0x80; }
// UTF-16 code units of the code point that starts with `lead`.
uint32_t Utf16Units(unsigned char lead) { return lead >= 0xF0 ? 2 : 1; }
bool IsIdentifierChar(char c) { return absl::ascii_isalnum(c) || c == '_'; }

// Collects every occurrence of a name in one function, in source order (the parser bounds the
// nesting, so the recursion is bounded too).
class OccurrenceCollector {
 public:
  OccurrenceCollector(int function, std::vector<Occurrence>& out)
      : function_(function), out_(out) {}

  void Add(Role role, const syntax::Identifier& id, const char* keyword) {
    if (id.name.empty() || !id.range.valid()) return;  // Recovered from a syntax error.
    out_.push_back({role, id.name, id.range, function_, keyword});
  }

  void Block(const syntax::Block& block) {
    for (const syntax::StmtPtr& stmt : block.statements) {
      if (stmt != nullptr) Stmt(*stmt);
    }
  }

  void Expr(const syntax::ExprPtr& expr) {
    if (expr == nullptr) return;
    switch (expr->kind) {
      case syntax::ExprKind::kNumber:
      case syntax::ExprKind::kString:
        return;
      case syntax::ExprKind::kName: {
        const auto& name = static_cast<const syntax::NameExpr&>(*expr);
        Add(Role::kUse, {name.name, name.range}, nullptr);
        return;
      }
      case syntax::ExprKind::kUnary:
        Expr(static_cast<const syntax::UnaryExpr&>(*expr).operand);
        return;
      case syntax::ExprKind::kBinary: {
        const auto& binary = static_cast<const syntax::BinaryExpr&>(*expr);
        Expr(binary.lhs);
        Expr(binary.rhs);
        return;
      }
      case syntax::ExprKind::kCall: {
        const auto& call = static_cast<const syntax::CallExpr&>(*expr);
        Add(Role::kCall, call.callee, nullptr);
        for (const syntax::ExprPtr& arg : call.args) Expr(arg);
        return;
      }
      case syntax::ExprKind::kIndex: {
        const auto& index = static_cast<const syntax::IndexExpr&>(*expr);
        Expr(index.base);
        Expr(index.index);
        return;
      }
      case syntax::ExprKind::kCast:
        Expr(static_cast<const syntax::CastExpr&>(*expr).operand);
        return;
      case syntax::ExprKind::kArray:
        for (const syntax::ExprPtr& e : static_cast<const syntax::ArrayExpr&>(*expr).elements) {
          Expr(e);
        }
        return;
      case syntax::ExprKind::kTensorLiteral: {
        const auto& literal = static_cast<const syntax::TensorLiteralExpr&>(*expr);
        if (literal.value != nullptr) {
          for (const syntax::ExprPtr& e : literal.value->elements) Expr(e);
        }
        return;
      }
    }
  }

 private:
  void Stmt(const syntax::Stmt& stmt) {
    switch (stmt.kind) {
      case syntax::StmtKind::kLet:
      case syntax::StmtKind::kLearn:
      case syntax::StmtKind::kAssign: {
        const auto& bind = static_cast<const syntax::BindStmt&>(stmt);
        Expr(bind.value);  // The value is evaluated before the name is bound.
        Role role = stmt.kind == syntax::StmtKind::kLet     ? Role::kLet
                    : stmt.kind == syntax::StmtKind::kLearn ? Role::kLearn
                                                            : Role::kAssignment;
        const char* keyword = stmt.kind == syntax::StmtKind::kLet     ? "let"
                              : stmt.kind == syntax::StmtKind::kLearn ? "learn"
                                                                      : "assignment";
        Add(role, bind.name, keyword);
        return;
      }
      case syntax::StmtKind::kExpr:
        Expr(static_cast<const syntax::ExprStmt&>(stmt).expr);
        return;
      case syntax::StmtKind::kReturn:
        Expr(static_cast<const syntax::ReturnStmt&>(stmt).value);
        return;
      case syntax::StmtKind::kIf: {
        const auto& if_stmt = static_cast<const syntax::IfStmt&>(stmt);
        Expr(if_stmt.condition);
        Block(if_stmt.then_block);
        if (if_stmt.else_block) Block(*if_stmt.else_block);
        return;
      }
      case syntax::StmtKind::kWhile: {
        const auto& while_stmt = static_cast<const syntax::WhileStmt&>(stmt);
        Expr(while_stmt.condition);
        Block(while_stmt.body);
        return;
      }
      case syntax::StmtKind::kOptimize: {
        const auto& optimize = static_cast<const syntax::OptimizeStmt&>(stmt);
        for (const syntax::Identifier& param : optimize.parameters) {
          Add(Role::kUse, param, nullptr);
        }
        if (optimize.clause) {
          for (const syntax::NamedExpr& arg : optimize.clause->arguments) Expr(arg.value);
        }
        Block(optimize.body);
        Expr(optimize.until);
        return;
      }
      case syntax::StmtKind::kMinimize:
        Expr(static_cast<const syntax::MinimizeStmt&>(stmt).loss);
        return;
      case syntax::StmtKind::kAlloc:
      case syntax::StmtKind::kRealloc: {
        const auto& alloc = static_cast<const syntax::AllocStmt&>(stmt);
        if (alloc.dims != nullptr) {
          for (const syntax::ExprPtr& e : alloc.dims->elements) Expr(e);
        }
        if (stmt.kind == syntax::StmtKind::kAlloc) {
          Add(Role::kBinding, alloc.name, "alloc");
        } else {
          Add(Role::kAssignment, alloc.name, "realloc");
        }
        return;
      }
      case syntax::StmtKind::kFree:
        Add(Role::kUse, static_cast<const syntax::FreeStmt&>(stmt).name, nullptr);
        return;
      case syntax::StmtKind::kResetOptimizer:
        return;
      case syntax::StmtKind::kLoadCsv: {
        const auto& load = static_cast<const syntax::LoadCsvStmt&>(stmt);
        Expr(load.path);
        Add(Role::kBinding, load.name, "load_csv");
        return;
      }
      case syntax::StmtKind::kSaveCsv: {
        const auto& save = static_cast<const syntax::SaveCsvStmt&>(stmt);
        Expr(save.value);
        Expr(save.path);
        return;
      }
      case syntax::StmtKind::kLoadSafetensors: {
        const auto& load = static_cast<const syntax::LoadSafetensorsStmt&>(stmt);
        Expr(load.path);
        if (load.single) Add(Role::kBinding, *load.single, "load_safetensors");
        for (const auto& binding : load.bindings) {
          Add(Role::kBinding, binding.name, "load_safetensors");
        }
        return;
      }
      case syntax::StmtKind::kSaveSafetensors: {
        const auto& save = static_cast<const syntax::SaveSafetensorsStmt&>(stmt);
        for (const syntax::NamedExpr& entry : save.entries) Expr(entry.value);
        Expr(save.path);
        return;
      }
      case syntax::StmtKind::kBatch: {
        const auto& batch = static_cast<const syntax::BatchStmt&>(stmt);
        for (const auto& source : batch.sources) Expr(source.data);
        Expr(batch.chunk_size);
        for (const auto& source : batch.sources) Add(Role::kBinding, source.name, "batch");
        if (batch.index) Add(Role::kBinding, *batch.index, "batch");
        Block(batch.body);
        return;
      }
    }
  }

  int function_;
  std::vector<Occurrence>& out_;
};

bool IsDeclaration(Role role) {
  return role == Role::kParameter || role == Role::kLet || role == Role::kLearn ||
         role == Role::kBinding;
}

// What a hover shows for a type: dims (`?` where known only at run time), or the kind.
std::optional<std::string> DescribeType(const graph::Type& type) {
  switch (type.kind) {
    case graph::Type::kScalar:
      return "scalar";
    case graph::Type::kString:
      return "string";
    case graph::Type::kTensor:
      return graph::ShapeText(type);
    case graph::Type::kUnknown:
    case graph::Type::kVoid:
      return std::nullopt;
  }
  return std::nullopt;
}

std::string FunctionSignature(const syntax::Function& fn) {
  std::vector<std::string> params;
  for (const syntax::Identifier& p : fn.parameters) params.push_back(p.name);
  return absl::StrCat("fn ", fn.name.name, "(", absl::StrJoin(params, ", "), ")");
}

}  // namespace

LineIndex::LineIndex(absl::string_view text) : text_(text) {
  line_starts_.push_back(0);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') line_starts_.push_back(static_cast<uint32_t>(i + 1));
  }
}

Position LineIndex::ToPosition(uint32_t offset) const {
  offset = std::min<uint32_t>(offset, static_cast<uint32_t>(text_.size()));
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  uint32_t line = static_cast<uint32_t>(it - line_starts_.begin()) - 1;
  uint32_t character = 0;
  for (uint32_t i = line_starts_[line]; i < offset; ++i) {
    unsigned char c = static_cast<unsigned char>(text_[i]);
    if (!IsContinuationByte(c)) character += Utf16Units(c);
  }
  return {line, character};
}

uint32_t LineIndex::ToOffset(Position position) const {
  if (position.line >= line_starts_.size()) return static_cast<uint32_t>(text_.size());
  uint32_t offset = line_starts_[position.line];
  uint32_t end = position.line + 1 < line_starts_.size() ? line_starts_[position.line + 1] - 1
                                                         : static_cast<uint32_t>(text_.size());
  uint32_t units = 0;
  while (offset < end && units < position.character) {
    units += Utf16Units(static_cast<unsigned char>(text_[offset]));
    ++offset;
    while (offset < end && IsContinuationByte(static_cast<unsigned char>(text_[offset]))) {
      ++offset;
    }
  }
  return offset;
}

Document::Document(std::string path, std::string text, int64_t version)
    : path_(std::move(path)), text_(std::move(text)), version_(version) {
  lines_ = std::make_unique<LineIndex>(text_);
  if (too_large()) {
    syntax::Diagnostic too_large;
    too_large.severity = syntax::Severity::kWarning;
    too_large.message = absl::StrCat("not analysed: the file has ", text_.size(),
                                     " bytes; the language server analyses files up to ",
                                     kMaxDocumentBytes >> 20, " MiB");
    diagnostics_.push_back(std::move(too_large));
    return;
  }
  // The SourceManager owns a copy; LineIndex views text_, which never changes.
  file_ = sources_.AddBuffer(path_, text_);
  syntax::DiagnosticEngine engine;
  driver::FrontEndState state;
  state.sources = &sources_;
  state.file = file_;
  state.diagnostics = &engine;
  driver::FrontEndOptions options;
  // Keep the module as the program was written (after the shape check, before specialization
  // and differentiation add functions and slots), like `noma check --shapes`; "infer" covers a
  // program whose shape check failed.
  options.after_pass = [&](const driver::Pass& pass, const graph::Module& module) {
    std::string name = pass.name;
    if (name == "infer" || name == "check-shapes") module_ = module;
  };
  driver::RunFrontEnd(state, options);
  program_ = std::move(state.program);
  diagnostics_ = engine.diagnostics();
  for (int f = 0; f < static_cast<int>(program_.functions.size()); ++f) {
    const syntax::Function& fn = program_.functions[f];
    OccurrenceCollector collector(f, occurrences_);
    collector.Add(Role::kFunction, fn.name, "fn");
    for (const syntax::Identifier& param : fn.parameters) {
      collector.Add(Role::kParameter, param, "parameter");
    }
    collector.Block(fn.body);
  }
  std::stable_sort(
      occurrences_.begin(), occurrences_.end(),
      [](const Occurrence& a, const Occurrence& b) { return a.range.begin < b.range.begin; });
}

Range Document::ToRange(const syntax::SourceRange& range) const {
  if (range.file != file_ || range.begin == UINT32_MAX) return {};  // Whole file: its start.
  uint32_t end = std::max(range.begin, range.end);
  return {lines_->ToPosition(range.begin), lines_->ToPosition(end)};
}

const Occurrence* Document::OccurrenceAt(uint32_t offset) const {
  // The cursor may sit just after a name (`w|`), as editors place it after typing.
  const Occurrence* found = nullptr;
  for (const Occurrence& o : occurrences_) {
    if (o.range.begin > offset) break;
    if (offset <= o.range.end) found = &o;
  }
  return found;
}

const Occurrence* Document::DeclarationOf(const Occurrence& occurrence) const {
  if (IsDeclaration(occurrence.role)) return &occurrence;
  const Occurrence* first = nullptr;
  const Occurrence* before = nullptr;
  for (const Occurrence& o : occurrences_) {
    if (o.function != occurrence.function || o.name != occurrence.name || !IsDeclaration(o.role)) {
      continue;
    }
    if (first == nullptr) first = &o;
    if (o.range.begin <= occurrence.range.begin) before = &o;
  }
  return before != nullptr ? before : first;
}

std::optional<graph::Type> Document::TypeOf(const Occurrence& declaration) const {
  if (!module_) return std::nullopt;
  const std::string& fn_name = program_.functions[declaration.function].name.name;
  for (const graph::Function& fn : module_->functions) {
    if (fn.name != fn_name || fn.specialization_of != graph::kNone) continue;
    // `let` reuses a name's slot, `learn` after `let` (or back) starts one: the slot is the
    // latest one declared at or before this declaration.
    std::optional<graph::SlotId> best;
    for (graph::SlotId s = 0; s < fn.slots.size(); ++s) {
      const graph::Slot& slot = fn.slots[s];
      if (slot.synthetic || slot.name != declaration.name || slot.decl.file != file_) continue;
      if (slot.decl.begin > declaration.range.begin) continue;
      if (!best || fn.slots[*best].decl.begin < slot.decl.begin) best = s;
    }
    if (!best || *best >= fn.slot_types.size()) return std::nullopt;
    return fn.slot_types[*best];
  }
  return std::nullopt;
}

std::string Document::VariableHover(const Occurrence& occurrence) const {
  const Occurrence* decl = DeclarationOf(occurrence);
  if (decl == nullptr) return absl::StrCat("`", occurrence.name, "`: not declared");
  std::string text = absl::StrCat("```noma\n", decl->keyword, " ", occurrence.name, "\n```\n");
  if (std::optional<graph::Type> type = TypeOf(*decl)) {
    if (std::optional<std::string> shape = DescribeType(*type)) {
      absl::StrAppend(&text, "\nshape: `", *shape, "`\n");
    }
  }
  std::vector<std::string> sets;
  for (const Occurrence& o : occurrences_) {
    if (o.function != occurrence.function || o.name != occurrence.name) continue;
    if (!IsDeclaration(o.role) && o.role != Role::kAssignment) continue;
    sets.push_back(
        absl::StrCat("line ", lines_->ToPosition(o.range.begin).line + 1, " (", o.keyword, ")"));
  }
  if (!sets.empty()) absl::StrAppend(&text, "\nset at ", absl::StrJoin(sets, ", "), "\n");
  return text;
}

std::optional<std::string> Document::Hover(uint32_t offset) const {
  const Occurrence* o = OccurrenceAt(offset);
  if (o == nullptr) return std::nullopt;
  if (o->role == Role::kFunction || o->role == Role::kCall) {
    for (const syntax::Function& fn : program_.functions) {
      if (fn.name.name == o->name) {
        return absl::StrCat("```noma\n", FunctionSignature(fn), "\n```\n\ndefined at line ",
                            lines_->ToPosition(fn.name.range.begin).line + 1, "\n");
      }
    }
    graph::Builtin builtin;
    if (graph::LookupBuiltin(o->name, &builtin)) {
      graph::BuiltinDoc doc = graph::GetBuiltinDoc(builtin);
      return absl::StrCat(
          "```noma\n", doc.signature, "\n```\n\n", doc.doc,
          graph::GetBuiltinInfo(builtin).differentiable ? "" : " (not differentiable)", "\n");
    }
    return std::nullopt;
  }
  return VariableHover(*o);
}

std::optional<syntax::SourceRange> Document::Definition(uint32_t offset) const {
  const Occurrence* o = OccurrenceAt(offset);
  if (o == nullptr) return std::nullopt;
  if (o->role == Role::kFunction || o->role == Role::kCall) {
    for (const syntax::Function& fn : program_.functions) {
      if (fn.name.name == o->name) return fn.name.range;
    }
    return std::nullopt;  // A builtin has no source.
  }
  const Occurrence* decl = DeclarationOf(*o);
  if (decl == nullptr) return std::nullopt;
  return decl->range;
}

std::vector<SymbolInfo> Document::Symbols() const {
  std::vector<SymbolInfo> symbols;
  for (int f = 0; f < static_cast<int>(program_.functions.size()); ++f) {
    const syntax::Function& fn = program_.functions[f];
    if (!fn.name.range.valid()) continue;
    SymbolInfo symbol{fn.name.name,    FunctionSignature(fn),
                      kSymbolFunction, fn.range.valid() ? fn.range : fn.name.range,
                      fn.name.range,   {}};
    if (symbol.range.end < fn.name.range.end) symbol.range = fn.name.range;
    absl::flat_hash_set<std::string> seen;
    for (const Occurrence& o : occurrences_) {
      if (o.function != f || !IsDeclaration(o.role) || !seen.insert(o.name).second) continue;
      std::string detail = o.keyword;
      if (std::optional<graph::Type> type = TypeOf(o)) {
        if (std::optional<std::string> shape = DescribeType(*type)) {
          absl::StrAppend(&detail, " ", *shape);
        }
      }
      symbol.children.push_back({o.name,
                                 detail,
                                 o.role == Role::kLearn ? kSymbolField : kSymbolVariable,
                                 o.range,
                                 o.range,
                                 {}});
    }
    symbols.push_back(std::move(symbol));
  }
  return symbols;
}

std::vector<CompletionCandidate> Document::Complete(uint32_t offset) const {
  offset = std::min<uint32_t>(offset, static_cast<uint32_t>(text_.size()));
  uint32_t start = offset;
  while (start > 0 && IsIdentifierChar(text_[start - 1])) --start;
  std::string prefix = text_.substr(start, offset - start);
  std::vector<CompletionCandidate> out;
  absl::flat_hash_set<std::string> seen;
  auto add = [&](std::string label, int kind, std::string detail, std::string documentation) {
    if (!absl::StartsWith(label, prefix) || !seen.insert(label).second) return;
    out.push_back({std::move(label), kind, std::move(detail), std::move(documentation)});
  };
  // Names in scope: the enclosing function's declarations before the cursor (one scope per
  // function, docs/language.md §2). With syntax errors the function may end early, so the
  // function is the last one that starts before the cursor.
  int function = -1;
  for (int f = 0; f < static_cast<int>(program_.functions.size()); ++f) {
    const syntax::SourceRange& r = program_.functions[f].range;
    if (r.valid() && r.begin <= offset) function = f;
  }
  for (auto it = occurrences_.rbegin(); it != occurrences_.rend(); ++it) {
    if (it->function == function && IsDeclaration(it->role) && it->range.end < start) {
      add(it->name, kCompletionVariable, it->keyword, "");
    }
  }
  for (const syntax::Function& fn : program_.functions) {
    add(fn.name.name, kCompletionFunction, FunctionSignature(fn), "");
  }
  for (int b = 0; b < graph::kBuiltinCount; ++b) {
    graph::Builtin builtin = static_cast<graph::Builtin>(b);
    graph::BuiltinDoc doc = graph::GetBuiltinDoc(builtin);
    add(graph::GetBuiltinInfo(builtin).name, kCompletionFunction, doc.signature, doc.doc);
  }
  for (int k = 0; k <= static_cast<int>(syntax::TokenKind::kDot); ++k) {
    syntax::TokenKind kind = static_cast<syntax::TokenKind>(k);
    if (!syntax::IsKeyword(kind)) continue;
    std::string spelling = syntax::TokenSpelling(kind);
    // Spelled for messages, in quotes: 'fn'.
    if (spelling.size() > 2 && spelling.front() == '\'') {
      spelling = spelling.substr(1, spelling.size() - 2);
    }
    add(spelling, kCompletionKeyword, "keyword", "");
  }
  graph::OptimizerWords words = graph::GetOptimizerWords();
  for (const std::string& w : words.optimizers) add(w, kCompletionEnum, "optimizer (with ...)", "");
  for (const std::string& w : words.clause_keys) {
    add(w, kCompletionProperty, "optimizer setting", "");
  }
  for (const std::string& w : words.variables) {
    add(w, kCompletionProperty, "variable read by optimize", "");
  }
  return out;
}

absl::StatusOr<std::string> Document::Format() const {
  if (too_large()) return absl::FailedPreconditionError("the file is too large to format");
  // The formatter's own parse: formatting needs a program without syntax errors only.
  syntax::SourceManager sources;
  syntax::FileId file = sources.AddBuffer(path_, text_);
  syntax::DiagnosticEngine engine;
  syntax::Program program = syntax::Parse(sources, file, engine);
  if (engine.has_errors()) {
    return absl::FailedPreconditionError(absl::StrCat("cannot format: the file has ",
                                                      engine.error_count(), " syntax error",
                                                      engine.error_count() == 1 ? "" : "s"));
  }
  return syntax::Format(program, sources);
}

}  // namespace noma::lsp
