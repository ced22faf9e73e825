#include "noma/syntax/ast.h"

#include <cstdio>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace noma::syntax {

const char* UnaryOpSpelling(UnaryOp op) { return op == UnaryOp::kNegate ? "-" : "!"; }

const char* BinaryOpSpelling(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd:
      return "+";
    case BinaryOp::kSub:
      return "-";
    case BinaryOp::kMul:
      return "*";
    case BinaryOp::kDiv:
      return "/";
    case BinaryOp::kMod:
      return "%";
    case BinaryOp::kPow:
      return "^";
    case BinaryOp::kEq:
      return "==";
    case BinaryOp::kNe:
      return "!=";
    case BinaryOp::kLt:
      return "<";
    case BinaryOp::kGt:
      return ">";
    case BinaryOp::kLe:
      return "<=";
    case BinaryOp::kGe:
      return ">=";
    case BinaryOp::kAnd:
      return "&&";
    case BinaryOp::kOr:
      return "||";
  }
  return "?";
}

const char* CastTypeSpelling(CastType type) {
  switch (type) {
    case CastType::kF64:
      return "f64";
    case CastType::kF32:
      return "f32";
    case CastType::kI32:
      return "i32";
    case CastType::kI64:
      return "i64";
  }
  return "?";
}

namespace {

class Dumper {
 public:
  std::string Program(const syntax::Program& program) {
    for (const Function& fn : program.functions) {
      absl::StrAppend(&out_, "(fn ", fn.name.name);
      for (const Identifier& p : fn.parameters) absl::StrAppend(&out_, " ", p.name);
      out_ += " ";
      Block(fn.body);
      out_ += ")\n";
    }
    return std::move(out_);
  }

 private:
  void Block(const syntax::Block& block) {
    out_ += "(block";
    for (const StmtPtr& s : block.statements) {
      out_ += " ";
      Stmt(*s);
    }
    out_ += ")";
  }

  void Expr(const syntax::Expr* e) {
    if (e == nullptr) {
      out_ += "null";
      return;
    }
    switch (e->kind) {
      case ExprKind::kNumber: {
        char buffer[40];
        std::snprintf(buffer, sizeof(buffer), "%.17g", static_cast<const NumberExpr*>(e)->value);
        out_ += buffer;
        return;
      }
      case ExprKind::kString:
        absl::StrAppend(&out_, "\"", absl::CEscape(static_cast<const StringExpr*>(e)->value), "\"");
        return;
      case ExprKind::kName:
        out_ += static_cast<const NameExpr*>(e)->name;
        return;
      case ExprKind::kUnary: {
        auto* u = static_cast<const UnaryExpr*>(e);
        absl::StrAppend(&out_, "(", UnaryOpSpelling(u->op), " ");
        Expr(u->operand.get());
        out_ += ")";
        return;
      }
      case ExprKind::kBinary: {
        auto* b = static_cast<const BinaryExpr*>(e);
        absl::StrAppend(&out_, "(", BinaryOpSpelling(b->op), " ");
        Expr(b->lhs.get());
        out_ += " ";
        Expr(b->rhs.get());
        out_ += ")";
        return;
      }
      case ExprKind::kCall: {
        auto* c = static_cast<const CallExpr*>(e);
        absl::StrAppend(&out_, "(call ", c->callee.name);
        for (const ExprPtr& a : c->args) {
          out_ += " ";
          Expr(a.get());
        }
        out_ += ")";
        return;
      }
      case ExprKind::kIndex: {
        auto* i = static_cast<const IndexExpr*>(e);
        out_ += "(index ";
        Expr(i->base.get());
        out_ += " ";
        Expr(i->index.get());
        out_ += ")";
        return;
      }
      case ExprKind::kCast: {
        auto* c = static_cast<const CastExpr*>(e);
        out_ += "(as ";
        Expr(c->operand.get());
        absl::StrAppend(&out_, " ", CastTypeSpelling(c->type), ")");
        return;
      }
      case ExprKind::kArray: {
        out_ += "[";
        bool first = true;
        for (const ExprPtr& el : static_cast<const ArrayExpr*>(e)->elements) {
          if (!first) out_ += " ";
          first = false;
          Expr(el.get());
        }
        out_ += "]";
        return;
      }
      case ExprKind::kTensorLiteral:
        out_ += "(tensor ";
        Expr(static_cast<const TensorLiteralExpr*>(e)->value.get());
        out_ += ")";
        return;
    }
  }

  void Stmt(const syntax::Stmt& s) {
    switch (s.kind) {
      case StmtKind::kLet:
      case StmtKind::kAssign:
      case StmtKind::kLearn: {
        auto& b = static_cast<const BindStmt&>(s);
        const char* word = s.kind == StmtKind::kLet     ? "let"
                           : s.kind == StmtKind::kLearn ? "learn"
                                                        : "assign";
        absl::StrAppend(&out_, "(", word, " ", b.name.name, " ");
        Expr(b.value.get());
        out_ += ")";
        return;
      }
      case StmtKind::kExpr:
        out_ += "(expr ";
        Expr(static_cast<const ExprStmt&>(s).expr.get());
        out_ += ")";
        return;
      case StmtKind::kReturn:
        out_ += "(return ";
        Expr(static_cast<const ReturnStmt&>(s).value.get());
        out_ += ")";
        return;
      case StmtKind::kIf: {
        auto& i = static_cast<const IfStmt&>(s);
        out_ += "(if ";
        Expr(i.condition.get());
        out_ += " ";
        Block(i.then_block);
        if (i.else_block) {
          out_ += " ";
          Block(*i.else_block);
        }
        out_ += ")";
        return;
      }
      case StmtKind::kWhile: {
        auto& w = static_cast<const WhileStmt&>(s);
        out_ += "(while ";
        Expr(w.condition.get());
        out_ += " ";
        Block(w.body);
        out_ += ")";
        return;
      }
      case StmtKind::kOptimize: {
        auto& o = static_cast<const OptimizeStmt&>(s);
        out_ += "(optimize (";
        for (size_t k = 0; k < o.parameters.size(); ++k) {
          absl::StrAppend(&out_, k ? " " : "", o.parameters[k].name);
        }
        out_ += ")";
        if (o.clause) {
          absl::StrAppend(&out_, " (with ", o.clause->optimizer.name);
          for (const NamedExpr& a : o.clause->arguments) {
            absl::StrAppend(&out_, " ", a.key.name, ":");
            Expr(a.value.get());
          }
          out_ += ")";
        }
        out_ += " ";
        Expr(o.until.get());
        out_ += " ";
        Block(o.body);
        out_ += ")";
        return;
      }
      case StmtKind::kMinimize:
        out_ += "(minimize ";
        Expr(static_cast<const MinimizeStmt&>(s).loss.get());
        out_ += ")";
        return;
      case StmtKind::kAlloc:
      case StmtKind::kRealloc: {
        auto& a = static_cast<const AllocStmt&>(s);
        absl::StrAppend(&out_, "(", s.kind == StmtKind::kAlloc ? "alloc " : "realloc ", a.name.name,
                        " ");
        Expr(a.dims.get());
        out_ += ")";
        return;
      }
      case StmtKind::kFree:
        absl::StrAppend(&out_, "(free ", static_cast<const FreeStmt&>(s).name.name, ")");
        return;
      case StmtKind::kResetOptimizer:
        out_ += "(reset_optimizer)";
        return;
      case StmtKind::kLoadCsv: {
        auto& l = static_cast<const LoadCsvStmt&>(s);
        absl::StrAppend(&out_, "(load_csv ", l.name.name, " ");
        Expr(l.path.get());
        out_ += ")";
        return;
      }
      case StmtKind::kSaveCsv: {
        auto& v = static_cast<const SaveCsvStmt&>(s);
        out_ += "(save_csv ";
        Expr(v.value.get());
        out_ += " ";
        Expr(v.path.get());
        out_ += ")";
        return;
      }
      case StmtKind::kLoadSafetensors: {
        auto& l = static_cast<const LoadSafetensorsStmt&>(s);
        out_ += "(load_safetensors";
        if (l.single) absl::StrAppend(&out_, " ", l.single->name);
        for (const auto& b : l.bindings) absl::StrAppend(&out_, " ", b.key.name, ":", b.name.name);
        out_ += " ";
        Expr(l.path.get());
        out_ += ")";
        return;
      }
      case StmtKind::kSaveSafetensors: {
        auto& v = static_cast<const SaveSafetensorsStmt&>(s);
        out_ += "(save_safetensors";
        for (const NamedExpr& e : v.entries) {
          absl::StrAppend(&out_, " ", e.key.name, ":");
          Expr(e.value.get());
        }
        out_ += " ";
        Expr(v.path.get());
        out_ += ")";
        return;
      }
      case StmtKind::kBatch: {
        auto& b = static_cast<const BatchStmt&>(s);
        out_ += "(batch";
        for (const auto& src : b.sources) {
          absl::StrAppend(&out_, " ", src.name.name, " in ");
          Expr(src.data.get());
        }
        if (b.index) absl::StrAppend(&out_, " index ", b.index->name);
        out_ += " with ";
        Expr(b.chunk_size.get());
        out_ += " ";
        Block(b.body);
        out_ += ")";
        return;
      }
    }
  }

  std::string out_;
};

}  // namespace

std::string DumpAst(const Program& program) { return Dumper().Program(program); }

}  // namespace noma::syntax
