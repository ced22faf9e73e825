#include "noma/syntax/parser.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "noma/syntax/internal/char_class.h"
#include "noma/syntax/lexer.h"

namespace noma::syntax {
namespace {

// Binding strength of the left-associative binary operators (higher binds tighter); 0 = not
// one. `^`/`**` bind tighter than unary minus and are parsed separately (right-associative).
int BinaryPrecedence(TokenKind kind) {
  switch (kind) {
    case TokenKind::kPipePipe:
      return 1;
    case TokenKind::kAmpAmp:
      return 2;
    case TokenKind::kEqEq:
    case TokenKind::kBangEq:
      return 3;
    case TokenKind::kLess:
    case TokenKind::kGreater:
    case TokenKind::kLessEq:
    case TokenKind::kGreaterEq:
      return 4;
    case TokenKind::kPlus:
    case TokenKind::kMinus:
      return 5;
    case TokenKind::kStar:
    case TokenKind::kSlash:
    case TokenKind::kPercent:
      return 6;
    default:
      return 0;
  }
}

BinaryOp ToBinaryOp(TokenKind kind) {
  switch (kind) {
    case TokenKind::kPipePipe:
      return BinaryOp::kOr;
    case TokenKind::kAmpAmp:
      return BinaryOp::kAnd;
    case TokenKind::kEqEq:
      return BinaryOp::kEq;
    case TokenKind::kBangEq:
      return BinaryOp::kNe;
    case TokenKind::kLess:
      return BinaryOp::kLt;
    case TokenKind::kGreater:
      return BinaryOp::kGt;
    case TokenKind::kLessEq:
      return BinaryOp::kLe;
    case TokenKind::kGreaterEq:
      return BinaryOp::kGe;
    case TokenKind::kPlus:
      return BinaryOp::kAdd;
    case TokenKind::kMinus:
      return BinaryOp::kSub;
    case TokenKind::kStar:
      return BinaryOp::kMul;
    case TokenKind::kSlash:
      return BinaryOp::kDiv;
    case TokenKind::kPercent:
      return BinaryOp::kMod;
    default:
      return BinaryOp::kPow;
  }
}

// Keywords that can only begin a statement: a good place to resume after an error.
bool StartsStatement(TokenKind kind) {
  switch (kind) {
    case TokenKind::kLet:
    case TokenKind::kLearn:
    case TokenKind::kReturn:
    case TokenKind::kIf:
    case TokenKind::kWhile:
    case TokenKind::kOptimize:
    case TokenKind::kMinimize:
    case TokenKind::kAlloc:
    case TokenKind::kRealloc:
    case TokenKind::kFree:
    case TokenKind::kLoadCsv:
    case TokenKind::kSaveCsv:
    case TokenKind::kLoadSafetensors:
    case TokenKind::kSaveSafetensors:
    case TokenKind::kBatch:
    case TokenKind::kResetOptimizer:
      return true;
    default:
      return false;
  }
}

// Operators that users of C-like languages write as `op=`.
bool HasCompoundAssignmentForm(TokenKind kind) {
  switch (kind) {
    case TokenKind::kPlus:
    case TokenKind::kMinus:
    case TokenKind::kStar:
    case TokenKind::kSlash:
    case TokenKind::kPercent:
    case TokenKind::kCaret:
      return true;
    default:
      return false;
  }
}

class Parser {
 public:
  Parser(const SourceManager& sources, FileId file, DiagnosticEngine& diagnostics)
      : file_(file), diags_(diagnostics), lexer_(sources, file, diagnostics, &program_.comments) {
    program_.file = file;
  }

  Program Run() {
    while (!At(TokenKind::kEnd) && !Stopped()) {
      if (At(TokenKind::kFn)) {
        ParseFunction();
      } else if (At(TokenKind::kRBrace)) {
        diags_.Error(Range(Peek()), "unmatched '}'", "there is no '{' left open here");
        Advance();
      } else {
        SkipCodeOutsideFunctions();
      }
    }
    return std::move(program_);
  }

 private:
  // ------------------------------------------------------------------ tokens

  // Tokens are streamed from the lexer with two tokens of lookahead.
  const Token& Peek() {
    if (buffered_ == 0) {
      lookahead_[0] = lexer_.Next();
      buffered_ = 1;
    }
    return lookahead_[0];
  }
  const Token& PeekSecond() {
    Peek();
    if (buffered_ == 1) {
      lookahead_[1] = lexer_.Next();
      buffered_ = 2;
    }
    return lookahead_[1];
  }
  bool At(TokenKind kind) { return Peek().kind == kind; }
  Token Advance() {
    Token t = Peek();
    if (t.kind != TokenKind::kEnd) {
      lookahead_[0] = lookahead_[1];
      --buffered_;
      ++consumed_;
      previous_end_ = t.end;
      if (t.kind == TokenKind::kLBrace) ++open_braces_;
      if (t.kind == TokenKind::kRBrace) --open_braces_;
    }
    return t;
  }
  bool Accept(TokenKind kind) {
    if (!At(kind)) return false;
    Advance();
    return true;
  }
  SourceRange Range(const Token& t) const { return {file_, t.begin, t.end}; }
  // From `begin` to the end of the last consumed token.
  SourceRange Span(uint32_t begin) const { return {file_, begin, std::max(begin, previous_end_)}; }
  bool Stopped() const { return too_deep_ || diags_.at_error_limit(); }

  // ------------------------------------------------------------------ errors

  bool Expect(TokenKind kind, const char* context) {
    if (Accept(kind)) return true;
    ErrorExpected(TokenSpelling(kind), context);
    return false;
  }

  // "expected X <context>, found Y" at the current token. A missing ';' is shown right after
  // the previous token, where it belongs, rather than at the start of the next line.
  void ErrorExpected(absl::string_view what, absl::string_view context, std::string hint = "") {
    const Token& t = Peek();
    if (t.kind == TokenKind::kError || too_deep_) return;  // Already explained.
    std::string found;
    switch (t.kind) {
      case TokenKind::kEnd:
        found = "end of file";
        break;
      case TokenKind::kString:
        found = "a string";
        break;
      default:
        found = absl::StrCat("'", internal::QuoteForMessage(t.text), "'");
    }
    SourceRange range = Range(t);
    if (what == "';'" && consumed_ > 0) range = {file_, previous_end_, previous_end_};
    if (hint.empty() && IsKeyword(t.kind) && what == "a name") {
      hint = absl::StrCat("'", t.text, "' is a keyword and cannot be used as a name");
    }
    diags_.Error(range, absl::StrCat("expected ", what, " ", context, ", found ", found),
                 std::move(hint));
  }

  void ReportTooDeep(SourceRange where) {
    if (too_deep_) return;
    too_deep_ = true;
    diags_.Error(where,
                 absl::StrCat("nesting is too deep (more than ", kMaxNestingDepth, " levels)"),
                 "split it into smaller pieces, e.g. with intermediate `let` bindings");
  }

  // Bounds recursion: one level per nested block, bracket, parenthesis, argument list or
  // operand of a prefix/power operator. Past the limit, parsing stops with one error.
  class NestingGuard {
   public:
    explicit NestingGuard(Parser& p) : parser_(p) {
      if (++parser_.depth_ > kMaxNestingDepth) parser_.ReportTooDeep(parser_.Range(parser_.Peek()));
    }
    ~NestingGuard() { --parser_.depth_; }
    NestingGuard(const NestingGuard&) = delete;
    NestingGuard& operator=(const NestingGuard&) = delete;
    bool ok() const { return !parser_.too_deep_; }

   private:
    Parser& parser_;
  };

  // Skips to the end of the current statement: past the next ';' or the '}' of its block, or
  // up to a '}' that closes the enclosing block or a keyword that starts a statement.
  // `unclosed` counts the braces the broken statement opened and left open (`{ k: x` of the
  // safetensors forms): their '}' may still come, but a ';' inside them ends the statement.
  void Synchronize(int unclosed) {
    int depth = 0;  // Braces opened while skipping.
    while (!At(TokenKind::kEnd)) {
      TokenKind kind = Peek().kind;
      if (kind == TokenKind::kLBrace) {
        ++depth;
      } else if (kind == TokenKind::kRBrace) {
        if (depth > 0) {
          --depth;
        } else if (unclosed > 0) {
          --unclosed;
        } else {
          return;  // Closes the enclosing block.
        }
        Advance();
        // After a brace group the statement is over, unless it goes on: `} else ...`,
        // `{ k: x } = path;`, `{ k: e }, path;`.
        if (depth == 0 && unclosed == 0 && !At(TokenKind::kElse) && !At(TokenKind::kEq) &&
            !At(TokenKind::kComma)) {
          return;
        }
        continue;
      } else if (depth == 0) {
        if (kind == TokenKind::kSemicolon) {
          Advance();
          return;
        }
        if (kind == TokenKind::kFn || StartsStatement(kind)) return;
      }
      Advance();
    }
  }

  // Top-level code that is not a function: one error per stretch, then resume at the next `fn`.
  void SkipCodeOutsideFunctions() {
    diags_.Error(Range(Peek()), "code outside a function",
                 "execution starts at `fn main()`: wrap the code in `fn main() { ... }`");
    int depth = 0;
    while (!At(TokenKind::kEnd) && !(depth == 0 && At(TokenKind::kFn))) {
      if (At(TokenKind::kLBrace)) ++depth;
      if (At(TokenKind::kRBrace) && depth > 0) --depth;
      Advance();
    }
  }

  bool ParseIdentifier(Identifier* out, absl::string_view context) {
    if (!At(TokenKind::kIdentifier)) {
      ErrorExpected("a name", context);
      return false;
    }
    Token t = Advance();
    *out = {std::string(t.text), Range(t)};
    return true;
  }

  // ------------------------------------------------------------------ functions and blocks

  void ParseFunction() {
    uint32_t begin = Advance().begin;  // fn
    Function fn;
    bool header_ok = ParseIdentifier(&fn.name, "after 'fn'") &&
                     Expect(TokenKind::kLParen, "after the function name") &&
                     ParseNameList(&fn.parameters, "as a parameter") &&
                     Expect(TokenKind::kRParen, "after the parameters");
    if (header_ok && !At(TokenKind::kLBrace)) {
      ErrorExpected("'{'", "to start the function body");
      header_ok = false;
    }
    if (!header_ok) {
      SkipBrokenFunction();
      return;
    }
    fn.body = ParseBlock();
    fn.range = Span(begin);
    program_.functions.push_back(std::move(fn));
  }

  // `a, b, c` (possibly empty, ending before ')').
  bool ParseNameList(std::vector<Identifier>* names, absl::string_view context) {
    if (At(TokenKind::kRParen)) return true;
    do {
      Identifier name;
      if (!ParseIdentifier(&name, context)) return false;
      names->push_back(std::move(name));
    } while (Accept(TokenKind::kComma));
    return true;
  }

  // After a broken function header: parse (and check) its body anyway, so errors inside are
  // still found and braces stay balanced, then continue at the next `fn`.
  void SkipBrokenFunction() {
    while (!At(TokenKind::kEnd) && !At(TokenKind::kFn) && !Stopped()) {
      if (At(TokenKind::kLBrace)) {
        ParseBlock();
      } else {
        Advance();
      }
    }
  }

  Block ParseBlock() {
    Block block;
    NestingGuard guard(*this);
    const Token open = Peek();
    if (!guard.ok()) {
      block.range = Range(open);
      return block;
    }
    if (!Expect(TokenKind::kLBrace, "to start a block")) {
      block.range = Range(open);
      return block;
    }
    while (!At(TokenKind::kRBrace) && !At(TokenKind::kEnd) && !Stopped()) {
      if (At(TokenKind::kFn)) {
        if (Peek().begin != reported_fn_inside_block_) {  // Once, not once per open block.
          reported_fn_inside_block_ = Peek().begin;
          diags_.Error(Range(Peek()), "expected '}' before the next function",
                       "functions cannot be nested; close the block above first");
        }
        block.range = Span(open.begin);
        return block;
      }
      size_t before = consumed_;
      int braces_before = open_braces_;
      StmtPtr stmt = ParseStatement();
      if (stmt) {
        block.statements.push_back(std::move(stmt));
      } else {
        Synchronize(std::max(0, open_braces_ - braces_before));
        if (consumed_ == before) Advance();  // Always make progress.
      }
    }
    if (At(TokenKind::kEnd) && !Stopped() && !reported_unclosed_block_) {
      // Only the innermost unclosed block: its enclosing blocks are unclosed for the same reason.
      reported_unclosed_block_ = true;
      Diagnostic missing;
      missing.range = Range(Peek());
      missing.message = "expected '}' to close the block, found end of file";
      Diagnostic opened;
      opened.severity = Severity::kNote;
      opened.range = Range(open);
      opened.message = "the block starts here";
      missing.notes.push_back(std::move(opened));
      diags_.Report(std::move(missing));
    } else if (!At(TokenKind::kEnd)) {
      Accept(TokenKind::kRBrace);
    }
    block.range = Span(open.begin);
    return block;
  }

  // ------------------------------------------------------------------ statements

  StmtPtr ParseStatement() {
    const uint32_t begin = Peek().begin;
    switch (Peek().kind) {
      case TokenKind::kLet:
      case TokenKind::kLearn: {
        StmtKind kind = At(TokenKind::kLet) ? StmtKind::kLet : StmtKind::kLearn;
        Advance();
        Identifier name;
        if (!ParseIdentifier(&name, kind == StmtKind::kLet ? "after 'let'" : "after 'learn'") ||
            !Expect(TokenKind::kEq, "after the name")) {
          return nullptr;
        }
        ExprPtr value = ParseExpr();
        if (!value || !Expect(TokenKind::kSemicolon, "after the value")) return nullptr;
        return std::make_unique<BindStmt>(kind, Span(begin), std::move(name), std::move(value));
      }
      case TokenKind::kReturn: {
        Advance();
        ExprPtr value;
        if (!At(TokenKind::kSemicolon)) {
          value = ParseExpr();
          if (!value) return nullptr;
        }
        if (!Expect(TokenKind::kSemicolon, "after return")) return nullptr;
        return std::make_unique<ReturnStmt>(Span(begin), std::move(value));
      }
      case TokenKind::kIf:
        return ParseIf();
      case TokenKind::kWhile: {
        Advance();
        ExprPtr condition = ParseExpr();
        if (!condition || !ExpectBlockStart("after the while condition")) return nullptr;
        Block body = ParseBlock();
        return std::make_unique<WhileStmt>(Span(begin), std::move(condition), std::move(body));
      }
      case TokenKind::kOptimize:
        return ParseOptimize();
      case TokenKind::kMinimize: {
        Advance();
        ExprPtr loss = ParseExpr();
        if (!loss || !Expect(TokenKind::kSemicolon, "after the loss")) return nullptr;
        return std::make_unique<MinimizeStmt>(Span(begin), std::move(loss));
      }
      case TokenKind::kAlloc:
      case TokenKind::kRealloc: {
        StmtKind kind = At(TokenKind::kAlloc) ? StmtKind::kAlloc : StmtKind::kRealloc;
        Advance();
        Identifier name;
        if (!ParseIdentifier(&name,
                             kind == StmtKind::kAlloc ? "after 'alloc'" : "after 'realloc'") ||
            !Expect(TokenKind::kEq, "after the name")) {
          return nullptr;
        }
        if (!At(TokenKind::kLBracket)) {
          ErrorExpected("'['", "to start the dimensions", "dimensions are a list: [rows, cols]");
          return nullptr;
        }
        std::unique_ptr<ArrayExpr> dims = ParseArray();
        if (!dims || !Expect(TokenKind::kSemicolon, "after the dimensions")) return nullptr;
        return std::make_unique<AllocStmt>(kind, Span(begin), std::move(name), std::move(dims));
      }
      case TokenKind::kFree: {
        Advance();
        Identifier name;
        if (!ParseIdentifier(&name, "after 'free'") ||
            !Expect(TokenKind::kSemicolon, "after the name")) {
          return nullptr;
        }
        return std::make_unique<FreeStmt>(Span(begin), std::move(name));
      }
      case TokenKind::kResetOptimizer: {
        Advance();
        if (!Expect(TokenKind::kLParen, "after 'reset_optimizer'") ||
            !Expect(TokenKind::kRParen, "(reset_optimizer takes no arguments)") ||
            !Expect(TokenKind::kSemicolon, "after reset_optimizer()")) {
          return nullptr;
        }
        return std::make_unique<ResetOptimizerStmt>(Span(begin));
      }
      case TokenKind::kLoadCsv: {
        Advance();
        Identifier name;
        if (!ParseIdentifier(&name, "after 'load_csv'") ||
            !Expect(TokenKind::kEq, "after the name")) {
          return nullptr;
        }
        ExprPtr path = ParseExpr();
        if (!path || !Expect(TokenKind::kSemicolon, "after the path")) return nullptr;
        return std::make_unique<LoadCsvStmt>(Span(begin), std::move(name), std::move(path));
      }
      case TokenKind::kSaveCsv: {
        Advance();
        ExprPtr value = ParseExpr();
        if (!value || !Expect(TokenKind::kComma, "between the value and the path")) {
          return nullptr;
        }
        ExprPtr path = ParseExpr();
        if (!path || !Expect(TokenKind::kSemicolon, "after the path")) return nullptr;
        return std::make_unique<SaveCsvStmt>(Span(begin), std::move(value), std::move(path));
      }
      case TokenKind::kLoadSafetensors:
        return ParseLoadSafetensors();
      case TokenKind::kSaveSafetensors:
        return ParseSaveSafetensors();
      case TokenKind::kBatch:
        return ParseBatch();
      case TokenKind::kIdentifier:
        if (PeekSecond().kind == TokenKind::kEq) {
          Identifier name;
          ParseIdentifier(&name, "");
          Advance();  // =
          ExprPtr value = ParseExpr();
          if (!value || !Expect(TokenKind::kSemicolon, "after the value")) return nullptr;
          return std::make_unique<BindStmt>(StmtKind::kAssign, Span(begin), std::move(name),
                                            std::move(value));
        }
        break;
      case TokenKind::kElse:
        diags_.Error(Range(Peek()), "'else' without a matching 'if'",
                     "'else' must follow the '}' of an if block");
        return nullptr;
      case TokenKind::kLBrace:
        diags_.Error(Range(Peek()), "a block cannot stand on its own",
                     "blocks follow if, else, while, optimize or batch (there is no block scope)");
        return nullptr;
      default:
        break;
    }
    ExprPtr expr = ParseExpr();
    if (!expr) return nullptr;
    if (At(TokenKind::kEq)) {
      diags_.Error(expr->range, "only a name can be assigned to",
                   "assignment is `name = value;` (tensors are rebuilt, not updated in place)");
      return nullptr;
    }
    if (!Expect(TokenKind::kSemicolon, "after the expression")) return nullptr;
    return std::make_unique<ExprStmt>(Span(begin), std::move(expr));
  }

  bool ExpectBlockStart(absl::string_view context) {
    if (At(TokenKind::kLBrace)) return true;
    ErrorExpected("'{'", context);
    return false;
  }

  // if c { } [else if c { } ...] [else { }]. An `else if` nests one IfStmt per link (the tree
  // depth grows with the chain), so each link counts as a nesting level.
  StmtPtr ParseIf() {
    const uint32_t begin = Advance().begin;  // if
    ExprPtr condition = ParseExpr();
    if (!condition || !ExpectBlockStart("after the if condition")) return nullptr;
    Block then_block = ParseBlock();
    auto stmt = std::make_unique<IfStmt>(Span(begin), std::move(condition), std::move(then_block));
    if (Accept(TokenKind::kElse)) {
      if (At(TokenKind::kIf)) {
        NestingGuard guard(*this);
        if (!guard.ok()) return nullptr;
        const uint32_t else_begin = Peek().begin;
        StmtPtr nested = ParseIf();
        if (!nested) return nullptr;
        Block block;
        block.range = Span(else_begin);
        block.statements.push_back(std::move(nested));
        stmt->else_block = std::move(block);
        stmt->else_is_if = true;
      } else if (At(TokenKind::kLBrace)) {
        stmt->else_block = ParseBlock();
      } else {
        ErrorExpected("'{' or 'if'", "after 'else'");
        return nullptr;
      }
    }
    stmt->range = Span(begin);
    return stmt;
  }

  StmtPtr ParseOptimize() {
    const uint32_t begin = Advance().begin;  // optimize
    auto stmt = std::make_unique<OptimizeStmt>(SourceRange{});
    if (!Expect(TokenKind::kLParen, "after 'optimize'") ||
        !ParseNameList(&stmt->parameters, "as a parameter to optimize") ||
        !Expect(TokenKind::kRParen, "after the parameters")) {
      return nullptr;
    }
    if (Accept(TokenKind::kWith)) {
      OptimizerClause clause;
      const uint32_t clause_begin = Peek().begin;
      if (!ParseIdentifier(&clause.optimizer, "after 'with' (sgd, adam or rmsprop)") ||
          !Expect(TokenKind::kLParen, "after the optimizer name")) {
        return nullptr;
      }
      if (!At(TokenKind::kRParen)) {
        bool first = true;
        do {
          NamedExpr argument;
          if (first && (!At(TokenKind::kIdentifier) || PeekSecond().kind == TokenKind::kRParen ||
                        PeekSecond().kind == TokenKind::kComma)) {
            // `adam(0.01)`, `sgd(rate)`: a leading value without a name is the learning rate.
            argument.key = {"lr", Range(Peek())};
          } else if (!ParseIdentifier(&argument.key,
                                      "as an optimizer setting (`lr: 0.01`, or the learning "
                                      "rate alone first)") ||
                     !Expect(TokenKind::kColon, "after the setting name")) {
            return nullptr;
          }
          first = false;
          argument.value = ParseExpr();
          if (!argument.value) return nullptr;
          clause.arguments.push_back(std::move(argument));
        } while (Accept(TokenKind::kComma));
      }
      if (!Expect(TokenKind::kRParen, "after the optimizer settings")) return nullptr;
      clause.range = Span(clause_begin);
      stmt->clause = std::move(clause);
    }
    if (!At(TokenKind::kUntil)) {
      ErrorExpected("'until'", "after optimize(...)",
                    "a training loop is `optimize(w) until loss < 0.01 { ... }`");
      return nullptr;
    }
    Advance();
    stmt->until = ParseExpr();
    if (!stmt->until || !ExpectBlockStart("to start the optimize body")) return nullptr;
    stmt->body = ParseBlock();
    stmt->range = Span(begin);
    return stmt;
  }

  StmtPtr ParseLoadSafetensors() {
    const uint32_t begin = Advance().begin;  // load_safetensors
    auto stmt = std::make_unique<LoadSafetensorsStmt>(SourceRange{});
    if (At(TokenKind::kLBrace)) {
      const Token open = Advance();
      if (!At(TokenKind::kRBrace)) {
        do {
          LoadSafetensorsStmt::Binding binding;
          if (!ParseIdentifier(&binding.key, "as a tensor name") ||
              !Expect(TokenKind::kColon, "after the tensor name") ||
              !ParseIdentifier(&binding.name, "as the variable to bind")) {
            return nullptr;
          }
          stmt->bindings.push_back(std::move(binding));
        } while (Accept(TokenKind::kComma));
      }
      if (!Expect(TokenKind::kRBrace, "after the bindings")) return nullptr;
      if (stmt->bindings.empty()) {
        diags_.Error(Span(open.begin), "load_safetensors needs at least one binding",
                     "write `{ key: name, ... }` or a single name");
        return nullptr;
      }
    } else {
      Identifier name;
      if (!ParseIdentifier(&name, "after 'load_safetensors'")) return nullptr;
      stmt->single = std::move(name);
    }
    if (!Expect(TokenKind::kEq, "before the path")) return nullptr;
    stmt->path = ParseExpr();
    if (!stmt->path || !Expect(TokenKind::kSemicolon, "after the path")) return nullptr;
    stmt->range = Span(begin);
    return stmt;
  }

  StmtPtr ParseSaveSafetensors() {
    const uint32_t begin = Advance().begin;  // save_safetensors
    auto stmt = std::make_unique<SaveSafetensorsStmt>(SourceRange{});
    const uint32_t open = Peek().begin;
    if (!Expect(TokenKind::kLBrace, "after 'save_safetensors'")) return nullptr;
    if (!At(TokenKind::kRBrace)) {
      do {
        NamedExpr entry;
        if (!ParseIdentifier(&entry.key, "as a tensor name") ||
            !Expect(TokenKind::kColon, "after the tensor name")) {
          return nullptr;
        }
        entry.value = ParseExpr();
        if (!entry.value) return nullptr;
        stmt->entries.push_back(std::move(entry));
      } while (Accept(TokenKind::kComma));
    }
    if (!Expect(TokenKind::kRBrace, "after the tensors")) return nullptr;
    if (stmt->entries.empty()) {
      diags_.Error(Span(open), "save_safetensors needs at least one tensor",
                   "write `save_safetensors { key: value, ... }, path;`");
      return nullptr;
    }
    if (!Expect(TokenKind::kComma, "before the path")) return nullptr;
    stmt->path = ParseExpr();
    if (!stmt->path || !Expect(TokenKind::kSemicolon, "after the path")) return nullptr;
    stmt->range = Span(begin);
    return stmt;
  }

  // batch xb[, i] in X with n { }   batch xb in X, yb in Y with n { }
  StmtPtr ParseBatch() {
    const uint32_t begin = Advance().begin;  // batch
    auto stmt = std::make_unique<BatchStmt>(SourceRange{});
    BatchStmt::Source first;
    if (!ParseIdentifier(&first.name, "after 'batch'")) return nullptr;
    if (Accept(TokenKind::kComma)) {
      Identifier index;
      if (!ParseIdentifier(&index, "as the chunk index")) return nullptr;
      stmt->index = std::move(index);
    }
    if (!Expect(TokenKind::kIn, "after the chunk name")) return nullptr;
    first.data = ParseExpr();
    if (!first.data) return nullptr;
    stmt->sources.push_back(std::move(first));
    if (!stmt->index && Accept(TokenKind::kComma)) {
      BatchStmt::Source second;
      if (!ParseIdentifier(&second.name, "as the second chunk name") ||
          !Expect(TokenKind::kIn, "after the chunk name")) {
        return nullptr;
      }
      second.data = ParseExpr();
      if (!second.data) return nullptr;
      stmt->sources.push_back(std::move(second));
    }
    if (!At(TokenKind::kWith)) {
      ErrorExpected("'with'", "before the chunk size",
                    stmt->index && At(TokenKind::kComma)
                        ? "a chunk index cannot be combined with a second source"
                        : "");
      return nullptr;
    }
    Advance();
    stmt->chunk_size = ParseExpr();
    if (!stmt->chunk_size || !ExpectBlockStart("to start the batch body")) return nullptr;
    stmt->body = ParseBlock();
    stmt->range = Span(begin);
    return stmt;
  }

  // ------------------------------------------------------------------ expressions
  //
  // Every expression parser leaves the height of the tree it returns in `height_` (a leaf has
  // height 1). Long operator chains (`a + a + ... + a`) are built by a loop, not recursion, so
  // the height, not the recursion depth, is what bounds later recursive walks over the tree.

  // Records the height of a new node whose tallest child has `child_height`.
  ExprPtr Built(ExprPtr node, int child_height) {
    height_ = child_height + 1;
    if (height_ > kMaxNestingDepth) {
      ReportTooDeep(node->range);
      return nullptr;
    }
    return node;
  }

  ExprPtr ParseExpr() {
    NestingGuard guard(*this);
    if (!guard.ok()) return nullptr;
    return ParseBinary(1);
  }

  // Precedence climbing over the left-associative levels.
  ExprPtr ParseBinary(int min_precedence) {
    ExprPtr lhs = ParseUnary();
    if (!lhs) return nullptr;
    int lhs_height = height_;
    while (true) {
      int precedence = BinaryPrecedence(Peek().kind);
      if (precedence == 0 || precedence < min_precedence) break;
      Token op = Advance();
      if (CompoundAssignment(op)) return nullptr;
      ExprPtr rhs = ParseBinary(precedence + 1);
      if (!rhs) return nullptr;
      SourceRange range{file_, lhs->range.begin, rhs->range.end};
      int child_height = std::max(lhs_height, height_);
      lhs = Built(std::make_unique<BinaryExpr>(range, ToBinaryOp(op.kind), std::move(lhs),
                                               std::move(rhs), Range(op)),
                  child_height);
      if (!lhs) return nullptr;
      lhs_height = height_;
    }
    height_ = lhs_height;
    return lhs;
  }

  // `x += 1` lexes as `x`, `+`, `=`: say what is wrong instead of "expected an expression".
  bool CompoundAssignment(const Token& op) {
    if (!HasCompoundAssignmentForm(op.kind) || !At(TokenKind::kEq) || Peek().begin != op.end) {
      return false;
    }
    diags_.Error({file_, op.begin, Peek().end}, absl::StrCat("'", op.text, "=' is not an operator"),
                 absl::StrCat("write `x = x ", op.text, " value;`"));
    return true;
  }

  ExprPtr ParseUnary() {
    if (At(TokenKind::kMinus) || At(TokenKind::kBang)) {
      NestingGuard guard(*this);
      if (!guard.ok()) return nullptr;
      Token op = Advance();
      ExprPtr operand = ParseUnary();
      if (!operand) return nullptr;
      SourceRange range{file_, op.begin, operand->range.end};
      return Built(std::make_unique<UnaryExpr>(
                       range, op.kind == TokenKind::kMinus ? UnaryOp::kNegate : UnaryOp::kNot,
                       std::move(operand)),
                   height_);
    }
    return ParsePower();
  }

  // postfix [('^' | '**') unary]: right-associative, and the exponent may carry a sign
  // (`2^-1`), so it is parsed at the unary level.
  ExprPtr ParsePower() {
    ExprPtr base = ParsePostfix();
    if (!base || !(At(TokenKind::kCaret) || At(TokenKind::kStarStar))) return base;
    int base_height = height_;
    NestingGuard guard(*this);
    if (!guard.ok()) return nullptr;
    Token op = Advance();
    if (CompoundAssignment(op)) return nullptr;
    ExprPtr exponent = ParseUnary();
    if (!exponent) return nullptr;
    SourceRange range{file_, base->range.begin, exponent->range.end};
    return Built(std::make_unique<BinaryExpr>(range, BinaryOp::kPow, std::move(base),
                                              std::move(exponent), Range(op)),
                 std::max(base_height, height_));
  }

  ExprPtr ParsePostfix() {
    ExprPtr expr = ParsePrimary();
    while (expr) {
      if (At(TokenKind::kLBracket)) {
        int base_height = height_;
        Advance();
        ExprPtr index = ParseExpr();
        if (!index || !Expect(TokenKind::kRBracket, "after the index")) return nullptr;
        uint32_t begin = expr->range.begin;
        expr = Built(std::make_unique<IndexExpr>(Span(begin), std::move(expr), std::move(index)),
                     std::max(base_height, height_));
      } else if (At(TokenKind::kAs)) {
        Advance();
        CastType type;
        if (!ParseCastType(&type)) return nullptr;
        uint32_t begin = expr->range.begin;
        expr = Built(std::make_unique<CastExpr>(Span(begin), std::move(expr), type), height_);
      } else if (At(TokenKind::kLParen)) {
        diags_.Error(Range(Peek()), "only a function name can be called",
                     "calls look like `name(arguments)`");
        return nullptr;
      } else {
        break;
      }
    }
    return expr;
  }

  bool ParseCastType(CastType* type) {
    if (!At(TokenKind::kIdentifier)) {
      ErrorExpected("a type (f64, f32, i32 or i64)", "after 'as'");
      return false;
    }
    Token name = Advance();
    if (name.text == "f64") {
      *type = CastType::kF64;
    } else if (name.text == "f32") {
      *type = CastType::kF32;
    } else if (name.text == "i32") {
      *type = CastType::kI32;
    } else if (name.text == "i64") {
      *type = CastType::kI64;
    } else {
      diags_.Error(Range(name),
                   absl::StrCat("unknown type '", internal::QuoteForMessage(name.text), "'"),
                   "casts take f64, f32, i32 or i64");
      return false;
    }
    return true;
  }

  ExprPtr ParsePrimary() {
    const Token t = Peek();
    switch (t.kind) {
      case TokenKind::kNumber: {
        Advance();
        double value = 0;
        if (!absl::SimpleAtod(t.text, &value) || !std::isfinite(value)) {
          diags_.Error(
              Range(t),
              absl::StrCat("number '", internal::QuoteForMessage(t.text), "' is too large for f64"),
              "the largest f64 is about 1.8e308");
          return nullptr;
        }
        return Built(std::make_unique<NumberExpr>(Range(t), value, std::string(t.text)), 0);
      }
      case TokenKind::kString: {
        Advance();
        std::string value;
        DecodeString(t.text, &value);  // The lexer rejected bad escapes.
        return Built(std::make_unique<StringExpr>(Range(t), std::move(value)), 0);
      }
      case TokenKind::kIdentifier: {
        Advance();
        if (!At(TokenKind::kLParen)) {
          return Built(std::make_unique<NameExpr>(Range(t), std::string(t.text)), 0);
        }
        Advance();  // (   Each argument's ParseExpr counts the nesting level.
        std::vector<ExprPtr> args;
        int tallest = 0;
        if (!At(TokenKind::kRParen)) {
          do {
            ExprPtr arg = ParseExpr();
            if (!arg) return nullptr;
            tallest = std::max(tallest, height_);
            args.push_back(std::move(arg));
          } while (Accept(TokenKind::kComma));
        }
        if (!Expect(TokenKind::kRParen, "after the arguments")) return nullptr;
        return Built(std::make_unique<CallExpr>(
                         Span(t.begin), Identifier{std::string(t.text), Range(t)}, std::move(args)),
                     tallest);
      }
      case TokenKind::kLParen: {
        Advance();
        ExprPtr inner = ParseExpr();  // Keeps its height: parentheses are not nodes.
        if (!inner || !Expect(TokenKind::kRParen, "to close '('")) return nullptr;
        return inner;
      }
      case TokenKind::kTensor: {
        Advance();
        if (!At(TokenKind::kLBracket)) {
          ErrorExpected("'['", "after 'tensor'",
                        "tensor literals look like tensor [[1, 2], [3, 4]]");
          return nullptr;
        }
        std::unique_ptr<ArrayExpr> value = ParseArray();
        if (!value) return nullptr;
        return Built(std::make_unique<TensorLiteralExpr>(Span(t.begin), std::move(value)), height_);
      }
      case TokenKind::kLBracket:
        return ParseArray();
      case TokenKind::kError:
        Advance();  // Already reported by the lexer.
        return nullptr;
      default:
        ErrorExpected("an expression", "here");
        return nullptr;
    }
  }

  // '[' [(array | expr) (',' ...)*] ','? ']'
  std::unique_ptr<ArrayExpr> ParseArray() {
    NestingGuard guard(*this);
    if (!guard.ok()) return nullptr;
    const uint32_t begin = Advance().begin;  // [
    std::vector<ExprPtr> elements;
    int tallest = 0;
    while (!At(TokenKind::kRBracket)) {
      ExprPtr element = At(TokenKind::kLBracket) ? ExprPtr(ParseArray()) : ParseExpr();
      if (!element) return nullptr;
      tallest = std::max(tallest, height_);
      elements.push_back(std::move(element));
      if (!Accept(TokenKind::kComma)) break;
    }
    if (!Expect(TokenKind::kRBracket, "to close '['")) return nullptr;
    auto array = std::make_unique<ArrayExpr>(Span(begin), std::move(elements));
    height_ = tallest + 1;
    if (height_ > kMaxNestingDepth) {
      ReportTooDeep(array->range);
      return nullptr;
    }
    return array;
  }

  FileId file_;
  DiagnosticEngine& diags_;
  Program program_;  // Declared before lexer_, which appends to its comments.
  Lexer lexer_;
  Token lookahead_[2];
  size_t buffered_ = 0;
  size_t consumed_ = 0;  // Tokens consumed so far (progress checks).
  int open_braces_ = 0;  // '{' consumed minus '}' consumed (error recovery).
  uint32_t previous_end_ = 0;
  int depth_ = 0;   // Current nesting (NestingGuard).
  int height_ = 0;  // Height of the expression tree last returned.
  bool too_deep_ = false;
  bool reported_unclosed_block_ = false;
  uint32_t reported_fn_inside_block_ = UINT32_MAX;
};

}  // namespace

Program Parse(const SourceManager& sources, FileId file, DiagnosticEngine& diagnostics) {
  Program program = Parser(sources, file, diagnostics).Run();
  diagnostics.SortByLocation();  // Lexer and parser errors interleave; report in file order.
  return program;
}

absl::StatusOr<Program> ParseFile(SourceManager& sources, const std::string& path,
                                  std::string display_name, DiagnosticEngine& diagnostics) {
  absl::StatusOr<FileId> file = sources.AddFile(path, std::move(display_name));
  if (!file.ok()) return file.status();
  return Parse(sources, *file, diagnostics);
}

}  // namespace noma::syntax
