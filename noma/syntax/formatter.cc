#include "noma/syntax/formatter.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace noma::syntax {
namespace {

// Binding strength used to decide parentheses; mirrors the parser (higher binds tighter).
constexpr int kPostfix = 9, kPower = 8, kUnary = 7;

int BinaryPrecedence(BinaryOp op) {
  switch (op) {
    case BinaryOp::kOr:
      return 1;
    case BinaryOp::kAnd:
      return 2;
    case BinaryOp::kEq:
    case BinaryOp::kNe:
      return 3;
    case BinaryOp::kLt:
    case BinaryOp::kGt:
    case BinaryOp::kLe:
    case BinaryOp::kGe:
      return 4;
    case BinaryOp::kAdd:
    case BinaryOp::kSub:
      return 5;
    case BinaryOp::kMul:
    case BinaryOp::kDiv:
    case BinaryOp::kMod:
      return 6;
    case BinaryOp::kPow:
      return kPower;
  }
  return 0;
}

int Precedence(const Expr& e) {
  switch (e.kind) {
    case ExprKind::kBinary:
      return BinaryPrecedence(static_cast<const BinaryExpr&>(e).op);
    case ExprKind::kUnary:
      return kUnary;
    default:
      return kPostfix;
  }
}

std::string QuoteString(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      default:
        out += c;
    }
  }
  return out + "\"";
}

// Where a statement's header ends: comments before this point are moved above the statement
// (there is no good place for them inside a one-line header); comments after it are inside a
// block and stay there.
uint32_t HeaderEnd(const Stmt& s) {
  switch (s.kind) {
    case StmtKind::kIf:
      return static_cast<const IfStmt&>(s).then_block.range.begin;
    case StmtKind::kWhile:
      return static_cast<const WhileStmt&>(s).body.range.begin;
    case StmtKind::kOptimize:
      return static_cast<const OptimizeStmt&>(s).body.range.begin;
    case StmtKind::kBatch:
      return static_cast<const BatchStmt&>(s).body.range.begin;
    default:
      return s.range.end;
  }
}

// Comment placement, in source order (each comment is printed exactly once):
// - a comment on the same line after a statement, a function or a `{` stays at the end of
//   that printed line;
// - other comments go on their own line before the next statement or function, or before the
//   `}` of their block, at that indentation; comments inside a statement's header or
//   expression move to their own line above it;
// - one blank line is kept where the source had one or more between statements or comments.
class Formatter {
 public:
  Formatter(const Program& program, const SourceManager& sources)
      : program_(program),
        comments_(program.comments),
        text_(program.file != kNoFile ? sources.contents(program.file) : "") {}

  std::string Run() {
    for (size_t i = 0; i < program_.functions.size(); ++i) {
      const Function& fn = program_.functions[i];
      if (i > 0) {
        out_ += "\n";  // Functions are always separated by exactly one blank line.
        at_block_start_ = true;
      }
      OwnLineCommentsBefore(fn.range.begin, 0);
      OwnLineCommentsBefore(fn.body.range.begin, 0, fn.range.begin);
      BlankLineIfSeparated(fn.range.begin);
      std::vector<std::string> params;
      for (const Identifier& p : fn.parameters) params.push_back(p.name);
      absl::StrAppend(&out_, "fn ", fn.name.name, "(", absl::StrJoin(params, ", "), ") ");
      Block(fn.body, 0);
      Ended(fn.range.end);
      TrailingComments(fn.range.end, UINT32_MAX);
      out_ += "\n";
    }
    OwnLineCommentsBefore(UINT32_MAX, 0);
    return std::move(out_);
  }

 private:
  void Indent(int depth) { out_.append(static_cast<size_t>(depth) * 4, ' '); }

  void Ended(uint32_t source_end) {
    last_end_ = std::max(last_end_, source_end);
    at_block_start_ = false;
  }

  bool HasBlankLine(uint32_t from, uint32_t to) const {
    to = std::min<uint32_t>(to, static_cast<uint32_t>(text_.size()));
    bool seen_newline = false;
    for (uint32_t i = from; i < to; ++i) {
      char c = text_[i];
      if (c == '\n') {
        if (seen_newline) return true;
        seen_newline = true;
      } else if (c != ' ' && c != '\t' && c != '\r') {
        seen_newline = false;
      }
    }
    return false;
  }

  void BlankLineIfSeparated(uint32_t begin) {
    if (!at_block_start_ && HasBlankLine(last_end_, begin)) out_ += "\n";
  }

  // Prints, each on its own line, the comments that start before `offset`. `item_begin` is the
  // start of the statement they are moved above, if they come from inside it.
  void OwnLineCommentsBefore(uint32_t offset, int depth, uint32_t item_begin = UINT32_MAX) {
    while (next_comment_ < comments_.size() && comments_[next_comment_].range.begin < offset) {
      const Comment& c = comments_[next_comment_++];
      BlankLineIfSeparated(std::min(c.range.begin, item_begin));
      Indent(depth);
      absl::StrAppend(&out_, c.text, "\n");
      Ended(c.range.end);
    }
  }

  // Comments that start at or after `from`, before `limit`, on the same source line as `from`:
  // appended to the current output line.
  void TrailingComments(uint32_t from, uint32_t limit) {
    uint32_t position = from;
    while (next_comment_ < comments_.size()) {
      const Comment& c = comments_[next_comment_];
      if (c.range.begin < from || c.range.begin >= limit) break;
      for (uint32_t i = position; i < c.range.begin && i < text_.size(); ++i) {
        if (text_[i] == '\n') return;
      }
      absl::StrAppend(&out_, " ", c.text);
      ++next_comment_;
      position = c.range.end;
      Ended(c.range.end);
    }
  }

  bool HasCommentBefore(uint32_t offset) const {
    return next_comment_ < comments_.size() && comments_[next_comment_].range.begin < offset;
  }

  void Block(const syntax::Block& block, int depth) {
    if (block.statements.empty() && !HasCommentBefore(block.range.end)) {
      out_ += "{}";
      Ended(block.range.end);
      return;
    }
    out_ += "{";
    uint32_t after_brace = block.range.begin + 1;
    Ended(after_brace);
    uint32_t first =
        block.statements.empty() ? block.range.end : block.statements.front()->range.begin;
    TrailingComments(after_brace, first);
    out_ += "\n";
    at_block_start_ = true;
    for (const StmtPtr& s : block.statements) {
      OwnLineCommentsBefore(s->range.begin, depth + 1);
      OwnLineCommentsBefore(HeaderEnd(*s), depth + 1, s->range.begin);
      BlankLineIfSeparated(s->range.begin);
      Indent(depth + 1);
      Stmt(*s, depth + 1);
      Ended(s->range.end);
      TrailingComments(s->range.end, UINT32_MAX);
      out_ += "\n";
    }
    OwnLineCommentsBefore(block.range.end, depth + 1);
    Indent(depth);
    out_ += "}";
    Ended(block.range.end);
  }

  void Stmt(const syntax::Stmt& s, int depth) {
    switch (s.kind) {
      case StmtKind::kLet:
      case StmtKind::kLearn:
      case StmtKind::kAssign: {
        auto& b = static_cast<const BindStmt&>(s);
        const char* word = s.kind == StmtKind::kLet     ? "let "
                           : s.kind == StmtKind::kLearn ? "learn "
                                                        : "";
        absl::StrAppend(&out_, word, b.name.name, " = ", Expr(b.value.get()), ";");
        return;
      }
      case StmtKind::kExpr:
        absl::StrAppend(&out_, Expr(static_cast<const ExprStmt&>(s).expr.get()), ";");
        return;
      case StmtKind::kReturn: {
        auto& r = static_cast<const ReturnStmt&>(s);
        out_ += r.value ? absl::StrCat("return ", Expr(r.value.get()), ";") : "return;";
        return;
      }
      case StmtKind::kIf: {
        // An else-if chain is printed as a loop, so its length costs no recursion here.
        const IfStmt* i = &static_cast<const IfStmt&>(s);
        while (true) {
          absl::StrAppend(&out_, "if ", Expr(i->condition.get()), " ");
          Block(i->then_block, depth);
          if (!i->else_block) return;
          out_ += " else ";
          const syntax::Block& else_block = *i->else_block;
          if (i->else_is_if && else_block.statements.size() == 1 &&
              else_block.statements[0]->kind == StmtKind::kIf) {
            i = static_cast<const IfStmt*>(else_block.statements[0].get());
            continue;
          }
          Block(else_block, depth);
          return;
        }
      }
      case StmtKind::kWhile: {
        auto& w = static_cast<const WhileStmt&>(s);
        absl::StrAppend(&out_, "while ", Expr(w.condition.get()), " ");
        Block(w.body, depth);
        return;
      }
      case StmtKind::kOptimize: {
        auto& o = static_cast<const OptimizeStmt&>(s);
        std::vector<std::string> params;
        for (const Identifier& p : o.parameters) params.push_back(p.name);
        absl::StrAppend(&out_, "optimize(", absl::StrJoin(params, ", "), ")");
        if (o.clause) {
          std::vector<std::string> args;
          for (const NamedExpr& a : o.clause->arguments) {
            args.push_back(absl::StrCat(a.key.name, ": ", Expr(a.value.get())));
          }
          absl::StrAppend(&out_, " with ", o.clause->optimizer.name, "(", absl::StrJoin(args, ", "),
                          ")");
        }
        absl::StrAppend(&out_, " until ", Expr(o.until.get()), " ");
        Block(o.body, depth);
        return;
      }
      case StmtKind::kMinimize:
        absl::StrAppend(&out_, "minimize ", Expr(static_cast<const MinimizeStmt&>(s).loss.get()),
                        ";");
        return;
      case StmtKind::kAlloc:
      case StmtKind::kRealloc: {
        auto& a = static_cast<const AllocStmt&>(s);
        absl::StrAppend(&out_, s.kind == StmtKind::kAlloc ? "alloc " : "realloc ", a.name.name,
                        " = ", Expr(a.dims.get()), ";");
        return;
      }
      case StmtKind::kFree:
        absl::StrAppend(&out_, "free ", static_cast<const FreeStmt&>(s).name.name, ";");
        return;
      case StmtKind::kResetOptimizer:
        out_ += "reset_optimizer();";
        return;
      case StmtKind::kLoadCsv: {
        auto& l = static_cast<const LoadCsvStmt&>(s);
        absl::StrAppend(&out_, "load_csv ", l.name.name, " = ", Expr(l.path.get()), ";");
        return;
      }
      case StmtKind::kSaveCsv: {
        auto& v = static_cast<const SaveCsvStmt&>(s);
        absl::StrAppend(&out_, "save_csv ", Expr(v.value.get()), ", ", Expr(v.path.get()), ";");
        return;
      }
      case StmtKind::kLoadSafetensors: {
        auto& l = static_cast<const LoadSafetensorsStmt&>(s);
        out_ += "load_safetensors ";
        if (l.single) {
          out_ += l.single->name;
        } else {
          std::vector<std::string> bindings;
          for (const auto& b : l.bindings) {
            bindings.push_back(absl::StrCat(b.key.name, ": ", b.name.name));
          }
          absl::StrAppend(&out_, "{ ", absl::StrJoin(bindings, ", "), " }");
        }
        absl::StrAppend(&out_, " = ", Expr(l.path.get()), ";");
        return;
      }
      case StmtKind::kSaveSafetensors: {
        auto& v = static_cast<const SaveSafetensorsStmt&>(s);
        std::vector<std::string> entries;
        for (const NamedExpr& e : v.entries) {
          entries.push_back(absl::StrCat(e.key.name, ": ", Expr(e.value.get())));
        }
        absl::StrAppend(&out_, "save_safetensors { ", absl::StrJoin(entries, ", "), " }, ",
                        Expr(v.path.get()), ";");
        return;
      }
      case StmtKind::kBatch: {
        auto& b = static_cast<const BatchStmt&>(s);
        out_ += "batch ";
        for (size_t k = 0; k < b.sources.size(); ++k) {
          if (k > 0) out_ += ", ";
          out_ += b.sources[k].name.name;
          if (k == 0 && b.index) absl::StrAppend(&out_, ", ", b.index->name);
          absl::StrAppend(&out_, " in ", Expr(b.sources[k].data.get()));
        }
        absl::StrAppend(&out_, " with ", Expr(b.chunk_size.get()), " ");
        Block(b.body, depth);
        return;
      }
    }
  }

  // Prints `e`, parenthesized if it binds looser than `min_precedence`.
  std::string Operand(const syntax::Expr* e, int min_precedence) {
    std::string text = Expr(e);
    return e != nullptr && Precedence(*e) < min_precedence ? absl::StrCat("(", text, ")") : text;
  }

  std::string Expr(const syntax::Expr* e) {
    if (e == nullptr) return "<missing>";  // Only in trees from input with syntax errors.
    switch (e->kind) {
      case ExprKind::kNumber:
        return static_cast<const NumberExpr*>(e)->spelling;
      case ExprKind::kString:
        return QuoteString(static_cast<const StringExpr*>(e)->value);
      case ExprKind::kName:
        return static_cast<const NameExpr*>(e)->name;
      case ExprKind::kUnary: {
        auto* u = static_cast<const UnaryExpr*>(e);
        return absl::StrCat(UnaryOpSpelling(u->op), Operand(u->operand.get(), kUnary));
      }
      case ExprKind::kBinary: {
        auto* b = static_cast<const BinaryExpr*>(e);
        if (b->op == BinaryOp::kPow) {  // Right-associative, above unary minus.
          return absl::StrCat(Operand(b->lhs.get(), kPostfix), " ^ ",
                              Operand(b->rhs.get(), kUnary));
        }
        int p = BinaryPrecedence(b->op);  // Left-associative.
        return absl::StrCat(Operand(b->lhs.get(), p), " ", BinaryOpSpelling(b->op), " ",
                            Operand(b->rhs.get(), p + 1));
      }
      case ExprKind::kCall: {
        auto* c = static_cast<const CallExpr*>(e);
        std::vector<std::string> args;
        for (const ExprPtr& a : c->args) args.push_back(Expr(a.get()));
        return absl::StrCat(c->callee.name, "(", absl::StrJoin(args, ", "), ")");
      }
      case ExprKind::kIndex: {
        auto* i = static_cast<const IndexExpr*>(e);
        return absl::StrCat(Operand(i->base.get(), kPostfix), "[", Expr(i->index.get()), "]");
      }
      case ExprKind::kCast: {
        auto* c = static_cast<const CastExpr*>(e);
        return absl::StrCat(Operand(c->operand.get(), kPostfix), " as ", CastTypeSpelling(c->type));
      }
      case ExprKind::kArray: {
        std::vector<std::string> elements;
        for (const ExprPtr& el : static_cast<const ArrayExpr*>(e)->elements) {
          elements.push_back(Expr(el.get()));
        }
        return absl::StrCat("[", absl::StrJoin(elements, ", "), "]");
      }
      case ExprKind::kTensorLiteral:
        return absl::StrCat("tensor ", Expr(static_cast<const TensorLiteralExpr*>(e)->value.get()));
    }
    return "";
  }

  const Program& program_;
  const std::vector<Comment>& comments_;
  absl::string_view text_;
  size_t next_comment_ = 0;
  uint32_t last_end_ = 0;       // Source offset just past the last thing printed.
  bool at_block_start_ = true;  // No blank line before the first item of a block or file.
  std::string out_;
};

}  // namespace

std::string Format(const Program& program, const SourceManager& sources) {
  return Formatter(program, sources).Run();
}

}  // namespace noma::syntax
