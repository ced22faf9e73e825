#include "noma/syntax/formatter.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace noma::syntax {
namespace {

// Binding strength used to decide parentheses; mirrors the parser.
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

std::string Escape(const std::string& text) {
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

class Formatter {
 public:
  Formatter(const Program& program, const SourceManager& sources)
      : program_(program), text_(program.file != kNoFile ? sources.contents(program.file) : "") {}

  std::string Run() {
    for (size_t i = 0; i < program_.functions.size(); ++i) {
      const Function& fn = program_.functions[i];
      if (i > 0) out_ += "\n";
      FlushCommentsBefore(fn.range.begin, 0);
      std::vector<std::string> params;
      for (const Identifier& p : fn.parameters) params.push_back(p.name);
      absl::StrAppend(&out_, "fn ", fn.name.name, "(", absl::StrJoin(params, ", "), ") ");
      Block(fn.body, 0);
      TrailingComment(fn.range.end);
      out_ += "\n";
    }
    FlushCommentsBefore(UINT32_MAX, 0);
    return std::move(out_);
  }

 private:
  void Indent(int depth) { out_.append(static_cast<size_t>(depth) * 4, ' '); }

  // Own-line comments that start before `offset`.
  void FlushCommentsBefore(uint32_t offset, int depth) {
    while (next_comment_ < program_.comments.size() &&
           program_.comments[next_comment_].range.begin < offset) {
      Indent(depth);
      absl::StrAppend(&out_, program_.comments[next_comment_].text, "\n");
      ++next_comment_;
    }
  }

  // A comment on the same source line right after `end` stays at the end of the printed line.
  void TrailingComment(uint32_t end) {
    while (next_comment_ < program_.comments.size()) {
      const Comment& c = program_.comments[next_comment_];
      if (c.range.begin < end) break;
      bool same_line = c.range.begin <= text_.size();
      for (uint32_t i = end; same_line && i < c.range.begin; ++i) {
        if (text_[i] == '\n') same_line = false;
      }
      if (!same_line) break;
      absl::StrAppend(&out_, " ", c.text);
      ++next_comment_;
    }
  }

  void Block(const syntax::Block& block, int depth) {
    out_ += "{\n";
    for (const StmtPtr& s : block.statements) {
      FlushCommentsBefore(s->range.begin, depth + 1);
      Indent(depth + 1);
      Stmt(*s, depth + 1);
      TrailingComment(s->range.end);
      out_ += "\n";
    }
    FlushCommentsBefore(block.range.end, depth + 1);
    Indent(depth);
    out_ += "}";
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
        absl::StrAppend(&out_, word, b.name.name, " = ", Expr(*b.value), ";");
        return;
      }
      case StmtKind::kExpr:
        absl::StrAppend(&out_, Expr(*static_cast<const ExprStmt&>(s).expr), ";");
        return;
      case StmtKind::kReturn: {
        auto& r = static_cast<const ReturnStmt&>(s);
        out_ += r.value ? absl::StrCat("return ", Expr(*r.value), ";") : "return;";
        return;
      }
      case StmtKind::kIf: {
        const IfStmt* i = &static_cast<const IfStmt&>(s);
        while (true) {
          absl::StrAppend(&out_, "if ", Expr(*i->condition), " ");
          Block(i->then_block, depth);
          if (!i->else_block) return;
          out_ += " else ";
          if (i->else_is_if) {
            i = static_cast<const IfStmt*>(i->else_block->statements[0].get());
            continue;
          }
          Block(*i->else_block, depth);
          return;
        }
      }
      case StmtKind::kWhile: {
        auto& w = static_cast<const WhileStmt&>(s);
        absl::StrAppend(&out_, "while ", Expr(*w.condition), " ");
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
            args.push_back(absl::StrCat(a.key.name, ": ", Expr(*a.value)));
          }
          absl::StrAppend(&out_, " with ", o.clause->optimizer.name, "(", absl::StrJoin(args, ", "),
                          ")");
        }
        absl::StrAppend(&out_, " until ", Expr(*o.until), " ");
        Block(o.body, depth);
        return;
      }
      case StmtKind::kMinimize:
        absl::StrAppend(&out_, "minimize ", Expr(*static_cast<const MinimizeStmt&>(s).loss), ";");
        return;
      case StmtKind::kAlloc:
      case StmtKind::kRealloc: {
        auto& a = static_cast<const AllocStmt&>(s);
        absl::StrAppend(&out_, s.kind == StmtKind::kAlloc ? "alloc " : "realloc ", a.name.name,
                        " = ", Expr(*a.dims), ";");
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
        absl::StrAppend(&out_, "load_csv ", l.name.name, " = ", Expr(*l.path), ";");
        return;
      }
      case StmtKind::kSaveCsv: {
        auto& v = static_cast<const SaveCsvStmt&>(s);
        absl::StrAppend(&out_, "save_csv ", Expr(*v.value), ", ", Expr(*v.path), ";");
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
        absl::StrAppend(&out_, " = ", Expr(*l.path), ";");
        return;
      }
      case StmtKind::kSaveSafetensors: {
        auto& v = static_cast<const SaveSafetensorsStmt&>(s);
        std::vector<std::string> entries;
        for (const NamedExpr& e : v.entries) {
          entries.push_back(absl::StrCat(e.key.name, ": ", Expr(*e.value)));
        }
        absl::StrAppend(&out_, "save_safetensors { ", absl::StrJoin(entries, ", "), " }, ",
                        Expr(*v.path), ";");
        return;
      }
      case StmtKind::kBatch: {
        auto& b = static_cast<const BatchStmt&>(s);
        absl::StrAppend(&out_, "batch ", b.sources[0].name.name);
        if (b.index) absl::StrAppend(&out_, ", ", b.index->name);
        absl::StrAppend(&out_, " in ", Expr(*b.sources[0].data));
        if (b.sources.size() > 1) {
          absl::StrAppend(&out_, ", ", b.sources[1].name.name, " in ", Expr(*b.sources[1].data));
        }
        absl::StrAppend(&out_, " with ", Expr(*b.chunk_size), " ");
        Block(b.body, depth);
        return;
      }
    }
  }

  // Prints `e`, parenthesized if it binds looser than `min_precedence`.
  std::string Operand(const syntax::Expr& e, int min_precedence) {
    std::string text = Expr(e);
    return Precedence(e) < min_precedence ? absl::StrCat("(", text, ")") : text;
  }

  std::string Expr(const syntax::Expr& e) {
    switch (e.kind) {
      case ExprKind::kNumber:
        return static_cast<const NumberExpr&>(e).spelling;
      case ExprKind::kString:
        return Escape(static_cast<const StringExpr&>(e).value);
      case ExprKind::kName:
        return static_cast<const NameExpr&>(e).name;
      case ExprKind::kUnary: {
        auto& u = static_cast<const UnaryExpr&>(e);
        return absl::StrCat(UnaryOpSpelling(u.op), Operand(*u.operand, kUnary));
      }
      case ExprKind::kBinary: {
        auto& b = static_cast<const BinaryExpr&>(e);
        int p = BinaryPrecedence(b.op);
        if (b.op == BinaryOp::kPow) {  // Right-associative, above unary minus.
          return absl::StrCat(Operand(*b.lhs, kPostfix), " ^ ", Operand(*b.rhs, kUnary));
        }
        return absl::StrCat(Operand(*b.lhs, p), " ", BinaryOpSpelling(b.op), " ",
                            Operand(*b.rhs, p + 1));
      }
      case ExprKind::kCall: {
        auto& c = static_cast<const CallExpr&>(e);
        std::vector<std::string> args;
        for (const ExprPtr& a : c.args) args.push_back(Expr(*a));
        return absl::StrCat(c.callee.name, "(", absl::StrJoin(args, ", "), ")");
      }
      case ExprKind::kIndex: {
        auto& i = static_cast<const IndexExpr&>(e);
        return absl::StrCat(Operand(*i.base, kPostfix), "[", Expr(*i.index), "]");
      }
      case ExprKind::kCast: {
        auto& c = static_cast<const CastExpr&>(e);
        return absl::StrCat(Operand(*c.operand, kPostfix), " as ", CastTypeSpelling(c.type));
      }
      case ExprKind::kArray: {
        std::vector<std::string> elements;
        for (const ExprPtr& el : static_cast<const ArrayExpr&>(e).elements) {
          elements.push_back(Expr(*el));
        }
        return absl::StrCat("[", absl::StrJoin(elements, ", "), "]");
      }
      case ExprKind::kTensorLiteral:
        return absl::StrCat("tensor ", Expr(*static_cast<const TensorLiteralExpr&>(e).value));
    }
    return "";
  }

  const Program& program_;
  absl::string_view text_;
  size_t next_comment_ = 0;
  std::string out_;
};

}  // namespace

std::string Format(const Program& program, const SourceManager& sources) {
  return Formatter(program, sources).Run();
}

}  // namespace noma::syntax
