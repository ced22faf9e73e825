#ifndef NOMA_SYNTAX_AST_H_
#define NOMA_SYNTAX_AST_H_

// The abstract syntax tree. Every node carries the source range it was parsed from. Nodes own
// their children through unique_ptr; the parser bounds nesting depth (kMaxNestingDepth), so
// recursive walks over a parsed tree are bounded too.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "noma/syntax/source.h"

namespace noma::syntax {

// The parser's limit on nesting: blocks inside blocks, parentheses, brackets, argument lists and
// operator operands, and the height of every expression tree (so a chain `a + a + ... + a` has
// at most this many operands). Deeper input is a syntax error.
inline constexpr int kMaxNestingDepth = 256;

// A name as written, with its location.
struct Identifier {
  std::string name;
  SourceRange range;
};

// ---------------------------------------------------------------- expressions

enum class ExprKind {
  kNumber,         // 3.14
  kString,         // "text" (value has escapes decoded)
  kName,           // x
  kUnary,          // -x, !x
  kBinary,         // a + b, ...
  kCall,           // f(a, b)
  kIndex,          // a[i]
  kCast,           // e as f32
  kArray,          // [e, e, ...] (inside a `tensor` literal, or the dims of alloc/realloc)
  kTensorLiteral,  // tensor [[1, 2], [3, 4]]
};

enum class UnaryOp { kNegate, kNot };

enum class BinaryOp {
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,  // `**` is parsed as kPow.
  kEq,
  kNe,
  kLt,
  kGt,
  kLe,
  kGe,
  kAnd,
  kOr,
};

enum class CastType { kF64, kF32, kI32, kI64 };

const char* UnaryOpSpelling(UnaryOp op);
const char* BinaryOpSpelling(BinaryOp op);
const char* CastTypeSpelling(CastType type);

struct Expr {
  explicit Expr(ExprKind k, SourceRange r) : kind(k), range(r) {}
  virtual ~Expr() = default;
  const ExprKind kind;
  SourceRange range;
};
using ExprPtr = std::unique_ptr<Expr>;

struct NumberExpr : Expr {
  NumberExpr(SourceRange r, double v, std::string s)
      : Expr(ExprKind::kNumber, r), value(v), spelling(std::move(s)) {}
  double value;
  std::string spelling;  // As written, so the formatter can keep it.
};

struct StringExpr : Expr {
  StringExpr(SourceRange r, std::string v) : Expr(ExprKind::kString, r), value(std::move(v)) {}
  std::string value;  // Decoded.
};

struct NameExpr : Expr {
  NameExpr(SourceRange r, std::string n) : Expr(ExprKind::kName, r), name(std::move(n)) {}
  std::string name;
};

struct UnaryExpr : Expr {
  UnaryExpr(SourceRange r, UnaryOp o, ExprPtr e)
      : Expr(ExprKind::kUnary, r), op(o), operand(std::move(e)) {}
  UnaryOp op;
  ExprPtr operand;
};

struct BinaryExpr : Expr {
  BinaryExpr(SourceRange r, BinaryOp o, ExprPtr l, ExprPtr rhs_expr, SourceRange op_r)
      : Expr(ExprKind::kBinary, r),
        op(o),
        lhs(std::move(l)),
        rhs(std::move(rhs_expr)),
        op_range(op_r) {}
  BinaryOp op;
  ExprPtr lhs;
  ExprPtr rhs;
  SourceRange op_range;  // The operator token; run-time errors point here.
};

struct CallExpr : Expr {
  CallExpr(SourceRange r, Identifier c, std::vector<ExprPtr> a)
      : Expr(ExprKind::kCall, r), callee(std::move(c)), args(std::move(a)) {}
  Identifier callee;
  std::vector<ExprPtr> args;
};

struct IndexExpr : Expr {
  IndexExpr(SourceRange r, ExprPtr b, ExprPtr i)
      : Expr(ExprKind::kIndex, r), base(std::move(b)), index(std::move(i)) {}
  ExprPtr base;
  ExprPtr index;
};

struct CastExpr : Expr {
  CastExpr(SourceRange r, ExprPtr e, CastType t)
      : Expr(ExprKind::kCast, r), operand(std::move(e)), type(t) {}
  ExprPtr operand;
  CastType type;
};

struct ArrayExpr : Expr {
  ArrayExpr(SourceRange r, std::vector<ExprPtr> e)
      : Expr(ExprKind::kArray, r), elements(std::move(e)) {}
  std::vector<ExprPtr> elements;
};

struct TensorLiteralExpr : Expr {
  TensorLiteralExpr(SourceRange r, std::unique_ptr<ArrayExpr> v)
      : Expr(ExprKind::kTensorLiteral, r), value(std::move(v)) {}
  std::unique_ptr<ArrayExpr> value;  // Rows are nested ArrayExprs.
};

// ---------------------------------------------------------------- statements

enum class StmtKind {
  kLet,
  kAssign,
  kLearn,
  kExpr,
  kReturn,
  kIf,
  kWhile,
  kOptimize,
  kMinimize,
  kAlloc,
  kRealloc,
  kFree,
  kResetOptimizer,
  kLoadCsv,
  kSaveCsv,
  kLoadSafetensors,
  kSaveSafetensors,
  kBatch,
};

struct Stmt {
  explicit Stmt(StmtKind k, SourceRange r) : kind(k), range(r) {}
  virtual ~Stmt() = default;
  const StmtKind kind;
  SourceRange range;
};
using StmtPtr = std::unique_ptr<Stmt>;

struct Block {
  SourceRange range;  // From `{` to `}`.
  std::vector<StmtPtr> statements;
};

// let x = e;   x = e;   learn x = e;
struct BindStmt : Stmt {
  BindStmt(StmtKind k, SourceRange r, Identifier n, ExprPtr v)
      : Stmt(k, r), name(std::move(n)), value(std::move(v)) {}
  Identifier name;
  ExprPtr value;
};

struct ExprStmt : Stmt {
  ExprStmt(SourceRange r, ExprPtr e) : Stmt(StmtKind::kExpr, r), expr(std::move(e)) {}
  ExprPtr expr;
};

struct ReturnStmt : Stmt {
  ReturnStmt(SourceRange r, ExprPtr v) : Stmt(StmtKind::kReturn, r), value(std::move(v)) {}
  ExprPtr value;  // Null for `return;`.
};

struct IfStmt : Stmt {
  IfStmt(SourceRange r, ExprPtr c, Block t)
      : Stmt(StmtKind::kIf, r), condition(std::move(c)), then_block(std::move(t)) {}
  ExprPtr condition;
  Block then_block;
  // `else { ... }` is a block; `else if` is a block holding exactly one IfStmt and
  // `else_is_if` set, so the formatter can print it back as `else if`.
  std::optional<Block> else_block;
  bool else_is_if = false;
};

struct WhileStmt : Stmt {
  WhileStmt(SourceRange r, ExprPtr c, Block b)
      : Stmt(StmtKind::kWhile, r), condition(std::move(c)), body(std::move(b)) {}
  ExprPtr condition;
  Block body;
};

// `name: value` inside `with adam(...)` or the key/value lists of safetensors statements.
struct NamedExpr {
  Identifier key;
  ExprPtr value;
};

// with adam(lr: 0.01, beta1: 0.9)
struct OptimizerClause {
  Identifier optimizer;  // sgd | adam | rmsprop (checked by the lowering, not the parser).
  std::vector<NamedExpr> arguments;
  SourceRange range;
};

struct OptimizeStmt : Stmt {
  OptimizeStmt(SourceRange r) : Stmt(StmtKind::kOptimize, r) {}
  std::vector<Identifier> parameters;
  std::optional<OptimizerClause> clause;
  ExprPtr until;
  Block body;
};

struct MinimizeStmt : Stmt {
  MinimizeStmt(SourceRange r, ExprPtr l) : Stmt(StmtKind::kMinimize, r), loss(std::move(l)) {}
  ExprPtr loss;
};

// alloc b = [d1, d2];   realloc b = [d1, d2];
struct AllocStmt : Stmt {
  AllocStmt(StmtKind k, SourceRange r, Identifier n, std::unique_ptr<ArrayExpr> d)
      : Stmt(k, r), name(std::move(n)), dims(std::move(d)) {}
  Identifier name;
  std::unique_ptr<ArrayExpr> dims;
};

struct FreeStmt : Stmt {
  FreeStmt(SourceRange r, Identifier n) : Stmt(StmtKind::kFree, r), name(std::move(n)) {}
  Identifier name;
};

struct ResetOptimizerStmt : Stmt {
  explicit ResetOptimizerStmt(SourceRange r) : Stmt(StmtKind::kResetOptimizer, r) {}
};

// load_csv x = path;
struct LoadCsvStmt : Stmt {
  LoadCsvStmt(SourceRange r, Identifier n, ExprPtr p)
      : Stmt(StmtKind::kLoadCsv, r), name(std::move(n)), path(std::move(p)) {}
  Identifier name;
  ExprPtr path;
};

// save_csv e, path;
struct SaveCsvStmt : Stmt {
  SaveCsvStmt(SourceRange r, ExprPtr v, ExprPtr p)
      : Stmt(StmtKind::kSaveCsv, r), value(std::move(v)), path(std::move(p)) {}
  ExprPtr value;
  ExprPtr path;
};

// load_safetensors x = path;   load_safetensors { key: x, ... } = path;
struct LoadSafetensorsStmt : Stmt {
  explicit LoadSafetensorsStmt(SourceRange r) : Stmt(StmtKind::kLoadSafetensors, r) {}
  std::optional<Identifier> single;  // Set for the one-tensor form.
  struct Binding {
    Identifier key;   // Tensor name in the file.
    Identifier name;  // Variable bound.
  };
  std::vector<Binding> bindings;  // The `{ key: x }` form.
  ExprPtr path;
};

// save_safetensors { key: e, ... }, path;
struct SaveSafetensorsStmt : Stmt {
  explicit SaveSafetensorsStmt(SourceRange r) : Stmt(StmtKind::kSaveSafetensors, r) {}
  std::vector<NamedExpr> entries;
  ExprPtr path;
};

// batch xb[, i] in X with n { ... }   batch xb in X, yb in Y with n { ... }
struct BatchStmt : Stmt {
  explicit BatchStmt(SourceRange r) : Stmt(StmtKind::kBatch, r) {}
  struct Source {
    Identifier name;  // Chunk variable.
    ExprPtr data;     // Tensor walked by rows.
  };
  std::vector<Source> sources;      // One or two.
  std::optional<Identifier> index;  // Chunk index variable.
  ExprPtr chunk_size;
  Block body;
};

// ---------------------------------------------------------------- program

struct Function {
  Identifier name;
  std::vector<Identifier> parameters;
  Block body;
  SourceRange range;  // From `fn` to the closing `}`.
};

struct Comment {
  SourceRange range;  // Includes the `//` or `/* */` markers.
  std::string text;   // Exactly as written.
};

struct Program {
  FileId file = kNoFile;
  std::vector<Function> functions;
  std::vector<Comment> comments;  // In source order; kept for the formatter.
};

// A location-free structural dump (S-expressions). Two programs have equal dumps iff their
// ASTs are equal; `noma fmt` round-trip tests compare these.
std::string DumpAst(const Program& program);

}  // namespace noma::syntax

#endif  // NOMA_SYNTAX_AST_H_
