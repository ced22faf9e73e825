#include "noma/syntax/parser.h"

#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "noma/syntax/lexer.h"

namespace noma::syntax {
namespace {

// Binding strength of binary operators (higher binds tighter); 0 = not a binary operator.
// `^`/`**` are handled separately (right-associative, above unary minus).
int Precedence(TokenKind kind) {
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
        continue;
      }
      // Code outside a function: report once per stretch, then skip to the next `fn`.
      Token start = Peek();
      diags_.Error(Range(start), "code outside a function",
                   "execution starts at `fn main()`: wrap the code in `fn main() { ... }`");
      int depth = 0;
      while (!At(TokenKind::kEnd) && !(depth == 0 && At(TokenKind::kFn))) {
        if (At(TokenKind::kLBrace)) ++depth;
        if (At(TokenKind::kRBrace) && depth > 0) --depth;
        Advance();
      }
    }
    return std::move(program_);
  }

 private:
  // ------------------------------------------------------------------ tokens

  // Tokens are streamed from the lexer with up to two tokens of lookahead.
  const Token& Peek(size_t ahead = 0) {
    while (buffered_ <= ahead) lookahead_[buffered_++] = lexer_.Next();
    return lookahead_[ahead];
  }
  bool At(TokenKind kind) { return Peek().kind == kind; }
  Token Advance() {
    Token t = Peek();
    if (t.kind != TokenKind::kEnd) {
      lookahead_[0] = lookahead_[1];
      --buffered_;
      ++pos_;
      previous_end_ = t.end;
    }
    return t;
  }
  bool Accept(TokenKind kind) {
    if (!At(kind)) return false;
    Advance();
    return true;
  }
  SourceRange Range(const Token& t) const { return {file_, t.begin, t.end}; }
  SourceRange Span(uint32_t begin) const {
    uint32_t end = pos_ > 0 ? previous_end_ : begin;
    return {file_, begin, std::max(begin, end)};
  }
  bool Stopped() { return too_deep_ || diags_.at_error_limit(); }

  // Reports "expected X" at the current token (or just after the previous one at end of line).
  bool Expect(TokenKind kind, const char* context) {
    if (Accept(kind)) return true;
    ErrorExpected(TokenSpelling(kind), context);
    return false;
  }
  void ErrorExpected(const std::string& what, const char* context) {
    Token t = Peek();
    std::string found = t.kind == TokenKind::kEnd ? "end of file" : absl::StrCat("'", t.text, "'");
    SourceRange range = Range(t);
    if (kind_is_statement_end(what) && pos_ > 0) {
      // A missing ';' is best shown right after the previous token.
      range = {file_, previous_end_, previous_end_};
    }
    diags_.Error(range, absl::StrCat("expected ", what, " ", context, ", found ", found));
  }
  static bool kind_is_statement_end(const std::string& what) { return what == "';'"; }

  // Skips to the end of the current statement: past the next ';' or up to a '}' that closes
  // the enclosing block.
  void Synchronize() {
    int depth = 0;
    while (!At(TokenKind::kEnd)) {
      if (At(TokenKind::kLBrace)) ++depth;
      if (At(TokenKind::kRBrace)) {
        if (depth == 0) return;
        --depth;
        if (depth == 0) {
          Advance();
          return;
        }
      }
      if (At(TokenKind::kSemicolon) && depth == 0) {
        Advance();
        return;
      }
      if (depth == 0 && (At(TokenKind::kFn) || StartsStatement(Peek().kind))) return;
      Advance();
    }
  }

  // Keywords that can only begin a statement: a good place to resume after an error.
  static bool StartsStatement(TokenKind kind) {
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

  // Nesting guard for recursive productions.
  class DepthGuard {
   public:
    explicit DepthGuard(Parser& p) : p_(p) {
      if (++p_.depth_ > kMaxNestingDepth && !p_.too_deep_) {
        p_.too_deep_ = true;
        p_.diags_.Error(
            p_.Range(p_.Peek()),
            absl::StrCat("nesting is too deep (more than ", kMaxNestingDepth, " levels)"),
            "split the expression or block into smaller pieces");
      }
    }
    ~DepthGuard() { --p_.depth_; }
    bool ok() const { return !p_.too_deep_; }

   private:
    Parser& p_;
  };

  bool ParseIdentifier(Identifier* out, const char* context) {
    if (!At(TokenKind::kIdentifier)) {
      ErrorExpected("a name", context);
      return false;
    }
    const Token& t = Advance();
    *out = {std::string(t.text), Range(t)};
    return true;
  }

  // ------------------------------------------------------------------ functions and blocks

  void ParseFunction() {
    uint32_t begin = Advance().begin;  // fn
    Function fn;
    if (!ParseIdentifier(&fn.name, "after 'fn'")) {
      SkipFunction();
      return;
    }
    if (!Expect(TokenKind::kLParen, "after the function name")) {
      SkipFunction();
      return;
    }
    if (!At(TokenKind::kRParen)) {
      do {
        Identifier param;
        if (!ParseIdentifier(&param, "as a parameter")) {
          SkipFunction();
          return;
        }
        fn.parameters.push_back(std::move(param));
      } while (Accept(TokenKind::kComma));
    }
    if (!Expect(TokenKind::kRParen, "after the parameters")) {
      SkipFunction();
      return;
    }
    if (!At(TokenKind::kLBrace)) {
      ErrorExpected("'{'", "to start the function body");
      SkipFunction();
      return;
    }
    fn.body = ParseBlock();
    fn.range = Span(begin);
    program_.functions.push_back(std::move(fn));
  }

  void SkipFunction() {
    while (!At(TokenKind::kEnd) && !At(TokenKind::kFn)) {
      if (At(TokenKind::kLBrace)) {
        ParseBlock();  // Still reports errors inside, and keeps brace balance.
      } else {
        Advance();
      }
    }
  }

  Block ParseBlock() {
    Block block;
    DepthGuard guard(*this);
    uint32_t begin = Peek().begin;
    if (!Expect(TokenKind::kLBrace, "to start a block")) {
      block.range = Span(begin);
      return block;
    }
    while (!At(TokenKind::kRBrace) && !At(TokenKind::kEnd) && !Stopped()) {
      if (At(TokenKind::kFn)) {
        diags_.Error(Range(Peek()), "expected '}' before the next function",
                     "functions cannot be nested");
        break;
      }
      size_t before = pos_;
      StmtPtr stmt = ParseStatement();
      if (stmt) {
        block.statements.push_back(std::move(stmt));
      } else {
        Synchronize();
        if (pos_ == before) Advance();  // Always make progress.
      }
    }
    if (!Stopped() && !At(TokenKind::kFn)) Expect(TokenKind::kRBrace, "to close the block");
    block.range = Span(begin);
    return block;
  }

  // ------------------------------------------------------------------ statements

  StmtPtr ParseStatement() {
    DepthGuard guard(*this);
    if (!guard.ok()) return nullptr;
    uint32_t begin = Peek().begin;
    switch (Peek().kind) {
      case TokenKind::kLet:
      case TokenKind::kLearn: {
        StmtKind kind = At(TokenKind::kLet) ? StmtKind::kLet : StmtKind::kLearn;
        const char* word = kind == StmtKind::kLet ? "after 'let'" : "after 'learn'";
        Advance();
        Identifier name;
        if (!ParseIdentifier(&name, word) || !Expect(TokenKind::kEq, "after the name")) {
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
        ExprPtr cond = ParseExpr();
        if (!cond) return nullptr;
        if (!At(TokenKind::kLBrace)) {
          ErrorExpected("'{'", "after the while condition");
          return nullptr;
        }
        Block body = ParseBlock();
        return std::make_unique<WhileStmt>(Span(begin), std::move(cond), std::move(body));
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
        if (!ParseIdentifier(&name, "to allocate") || !Expect(TokenKind::kEq, "after the name")) {
          return nullptr;
        }
        if (!At(TokenKind::kLBracket)) {
          ErrorExpected("'['", "to start the dimensions (e.g. [2, 3])");
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
        if (!Expect(TokenKind::kLParen, "after reset_optimizer") ||
            !Expect(TokenKind::kRParen, "after '('") ||
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
        if (Peek(1).kind == TokenKind::kEq) {
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
        diags_.Error(Range(Peek()), "'else' without a matching 'if'");
        return nullptr;
      default:
        break;
    }
    ExprPtr expr = ParseExpr();
    if (!expr) return nullptr;
    if (!Expect(TokenKind::kSemicolon, "after the expression")) return nullptr;
    return std::make_unique<ExprStmt>(Span(begin), std::move(expr));
  }

  StmtPtr ParseIf() {
    DepthGuard guard(*this);
    if (!guard.ok()) return nullptr;
    uint32_t begin = Advance().begin;  // if
    ExprPtr cond = ParseExpr();
    if (!cond) return nullptr;
    if (!At(TokenKind::kLBrace)) {
      ErrorExpected("'{'", "after the if condition");
      return nullptr;
    }
    Block then_block = ParseBlock();
    auto stmt = std::make_unique<IfStmt>(Span(begin), std::move(cond), std::move(then_block));
    if (Accept(TokenKind::kElse)) {
      if (At(TokenKind::kIf)) {
        uint32_t else_begin = Peek().begin;
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
    uint32_t begin = Advance().begin;  // optimize
    auto stmt = std::make_unique<OptimizeStmt>(SourceRange{});
    if (!Expect(TokenKind::kLParen, "after 'optimize'")) return nullptr;
    if (!At(TokenKind::kRParen)) {
      do {
        Identifier param;
        if (!ParseIdentifier(&param, "as a parameter to optimize")) return nullptr;
        stmt->parameters.push_back(std::move(param));
      } while (Accept(TokenKind::kComma));
    }
    if (!Expect(TokenKind::kRParen, "after the parameters")) return nullptr;
    if (Accept(TokenKind::kWith)) {
      OptimizerClause clause;
      uint32_t clause_begin = Peek().begin;
      if (!ParseIdentifier(&clause.optimizer, "after 'with' (sgd, adam or rmsprop)") ||
          !Expect(TokenKind::kLParen, "after the optimizer name")) {
        return nullptr;
      }
      if (!At(TokenKind::kRParen)) {
        do {
          NamedExpr arg;
          if (!ParseIdentifier(&arg.key, "as an optimizer setting") ||
              !Expect(TokenKind::kColon, "after the setting name")) {
            return nullptr;
          }
          arg.value = ParseExpr();
          if (!arg.value) return nullptr;
          clause.arguments.push_back(std::move(arg));
        } while (Accept(TokenKind::kComma));
      }
      if (!Expect(TokenKind::kRParen, "after the optimizer settings")) return nullptr;
      clause.range = Span(clause_begin);
      stmt->clause = std::move(clause);
    }
    if (!Expect(TokenKind::kUntil, "after optimize(...)")) return nullptr;
    stmt->until = ParseExpr();
    if (!stmt->until) return nullptr;
    if (!At(TokenKind::kLBrace)) {
      ErrorExpected("'{'", "to start the optimize body");
      return nullptr;
    }
    stmt->body = ParseBlock();
    stmt->range = Span(begin);
    return stmt;
  }

  StmtPtr ParseLoadSafetensors() {
    uint32_t begin = Advance().begin;
    auto stmt = std::make_unique<LoadSafetensorsStmt>(SourceRange{});
    if (Accept(TokenKind::kLBrace)) {
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
        diags_.Error(Span(begin), "load_safetensors needs at least one binding");
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
    uint32_t begin = Advance().begin;
    auto stmt = std::make_unique<SaveSafetensorsStmt>(SourceRange{});
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
    if (!Expect(TokenKind::kRBrace, "after the tensors") ||
        !Expect(TokenKind::kComma, "before the path")) {
      return nullptr;
    }
    if (stmt->entries.empty()) {
      diags_.Error(Span(begin), "save_safetensors needs at least one tensor");
      return nullptr;
    }
    stmt->path = ParseExpr();
    if (!stmt->path || !Expect(TokenKind::kSemicolon, "after the path")) return nullptr;
    stmt->range = Span(begin);
    return stmt;
  }

  StmtPtr ParseBatch() {
    uint32_t begin = Advance().begin;
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
    if (!Expect(TokenKind::kWith, "before the chunk size")) return nullptr;
    stmt->chunk_size = ParseExpr();
    if (!stmt->chunk_size) return nullptr;
    if (!At(TokenKind::kLBrace)) {
      ErrorExpected("'{'", "to start the batch body");
      return nullptr;
    }
    stmt->body = ParseBlock();
    stmt->range = Span(begin);
    return stmt;
  }

  // ------------------------------------------------------------------ expressions

  ExprPtr ParseExpr() { return ParseBinary(1); }

  // Precedence climbing over the left-associative levels.
  ExprPtr ParseBinary(int min_precedence) {
    DepthGuard guard(*this);
    if (!guard.ok()) return nullptr;
    ExprPtr lhs = ParseUnary();
    while (lhs) {
      int precedence = Precedence(Peek().kind);
      if (precedence == 0 || precedence < min_precedence) break;
      const Token& op = Advance();
      ExprPtr rhs = ParseBinary(precedence + 1);
      if (!rhs) return nullptr;
      SourceRange range{file_, lhs->range.begin, rhs->range.end};
      lhs = std::make_unique<BinaryExpr>(range, ToBinaryOp(op.kind), std::move(lhs), std::move(rhs),
                                         Range(op));
    }
    return lhs;
  }

  ExprPtr ParseUnary() {
    DepthGuard guard(*this);
    if (!guard.ok()) return nullptr;
    if (At(TokenKind::kMinus) || At(TokenKind::kBang)) {
      const Token& op = Advance();
      ExprPtr operand = ParseUnary();
      if (!operand) return nullptr;
      SourceRange range{file_, op.begin, operand->range.end};
      return std::make_unique<UnaryExpr>(
          range, op.kind == TokenKind::kMinus ? UnaryOp::kNegate : UnaryOp::kNot,
          std::move(operand));
    }
    return ParsePower();
  }

  // postfix (('^' | '**') unary)?  -- right-associative through ParseUnary.
  ExprPtr ParsePower() {
    ExprPtr base = ParsePostfix();
    if (!base) return nullptr;
    if (At(TokenKind::kCaret) || At(TokenKind::kStarStar)) {
      const Token& op = Advance();
      ExprPtr exponent = ParseUnary();
      if (!exponent) return nullptr;
      SourceRange range{file_, base->range.begin, exponent->range.end};
      return std::make_unique<BinaryExpr>(range, BinaryOp::kPow, std::move(base),
                                          std::move(exponent), Range(op));
    }
    return base;
  }

  ExprPtr ParsePostfix() {
    ExprPtr expr = ParsePrimary();
    while (expr) {
      if (At(TokenKind::kLBracket)) {
        Advance();
        ExprPtr index = ParseExpr();
        if (!index || !Expect(TokenKind::kRBracket, "after the index")) return nullptr;
        expr =
            std::make_unique<IndexExpr>(Span(expr->range.begin), std::move(expr), std::move(index));
      } else if (At(TokenKind::kAs)) {
        Advance();
        if (!At(TokenKind::kIdentifier)) {
          ErrorExpected("a type (f64, f32, i32 or i64)", "after 'as'");
          return nullptr;
        }
        const Token& type = Advance();
        CastType cast;
        if (type.text == "f64") {
          cast = CastType::kF64;
        } else if (type.text == "f32") {
          cast = CastType::kF32;
        } else if (type.text == "i32") {
          cast = CastType::kI32;
        } else if (type.text == "i64") {
          cast = CastType::kI64;
        } else {
          diags_.Error(Range(type), absl::StrCat("unknown type '", type.text, "'"),
                       "casts take f64, f32, i32 or i64");
          return nullptr;
        }
        expr = std::make_unique<CastExpr>(Span(expr->range.begin), std::move(expr), cast);
      } else if (At(TokenKind::kLParen)) {
        diags_.Error(Range(Peek()), "only a function name can be called");
        return nullptr;
      } else {
        break;
      }
    }
    return expr;
  }

  ExprPtr ParsePrimary() {
    Token t = Peek();
    switch (t.kind) {
      case TokenKind::kNumber: {
        Advance();
        double value = 0;
        if (!absl::SimpleAtod(t.text, &value)) {
          diags_.Error(Range(t), absl::StrCat("malformed number '", t.text, "'"));
          return nullptr;
        }
        return std::make_unique<NumberExpr>(Range(t), value, std::string(t.text));
      }
      case TokenKind::kString: {
        Advance();
        std::string value;
        DecodeString(t.text, &value);
        return std::make_unique<StringExpr>(Range(t), std::move(value));
      }
      case TokenKind::kIdentifier: {
        Advance();
        if (!At(TokenKind::kLParen))
          return std::make_unique<NameExpr>(Range(t), std::string(t.text));
        Advance();  // (
        std::vector<ExprPtr> args;
        if (!At(TokenKind::kRParen)) {
          do {
            ExprPtr arg = ParseExpr();
            if (!arg) return nullptr;
            args.push_back(std::move(arg));
          } while (Accept(TokenKind::kComma));
        }
        if (!Expect(TokenKind::kRParen, "after the arguments")) return nullptr;
        return std::make_unique<CallExpr>(Span(t.begin), Identifier{std::string(t.text), Range(t)},
                                          std::move(args));
      }
      case TokenKind::kLParen: {
        Advance();
        ExprPtr inner = ParseExpr();
        if (!inner || !Expect(TokenKind::kRParen, "to close '('")) return nullptr;
        return inner;
      }
      case TokenKind::kTensor: {
        Advance();
        if (!At(TokenKind::kLBracket)) {
          ErrorExpected("'['", "after 'tensor'");
          return nullptr;
        }
        std::unique_ptr<ArrayExpr> value = ParseArray();
        if (!value) return nullptr;
        return std::make_unique<TensorLiteralExpr>(Span(t.begin), std::move(value));
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

  // '[' (array | expr) (',' ...)* ','? ']'
  std::unique_ptr<ArrayExpr> ParseArray() {
    DepthGuard guard(*this);
    if (!guard.ok()) return nullptr;
    uint32_t begin = Advance().begin;  // [
    std::vector<ExprPtr> elements;
    while (!At(TokenKind::kRBracket)) {
      ExprPtr element = At(TokenKind::kLBracket) ? ExprPtr(ParseArray()) : ParseExpr();
      if (!element) return nullptr;
      elements.push_back(std::move(element));
      if (!Accept(TokenKind::kComma)) break;
    }
    if (!Expect(TokenKind::kRBracket, "to close '['")) return nullptr;
    return std::make_unique<ArrayExpr>(Span(begin), std::move(elements));
  }

  FileId file_;
  DiagnosticEngine& diags_;
  Lexer lexer_;
  Token lookahead_[2];
  size_t buffered_ = 0;
  size_t pos_ = 0;  // Tokens consumed so far (progress checks).
  uint32_t previous_end_ = 0;
  int depth_ = 0;
  bool too_deep_ = false;
  Program program_;
};

}  // namespace

Program Parse(const SourceManager& sources, FileId file, DiagnosticEngine& diagnostics) {
  Program program = Parser(sources, file, diagnostics).Run();
  diagnostics.SortByLocation();  // Lexer errors were found first; report in file order.
  return program;
}

}  // namespace noma::syntax
