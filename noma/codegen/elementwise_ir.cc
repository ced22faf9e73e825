#include "noma/codegen/elementwise_ir.h"

#include <set>

#include "llvm/IR/Intrinsics.h"
#include "noma/runtime/formulas.h"

namespace noma::codegen {
namespace {

using runtime::BinaryKernel;
using runtime::UnaryKernel;

// The math policy of runtime/formulas.h in LLVM IR: IEEE arithmetic (no fast-math flags, so
// never contracted), ordered comparisons, selects, and the target's primitives.
struct IrPolicy {
  llvm::IRBuilder<>& b;
  MathPrimitives& math;

  llvm::Value* C(double c) { return llvm::ConstantFP::get(b.getDoubleTy(), c); }
  llvm::Value* Add(llvm::Value* x, llvm::Value* y) { return b.CreateFAdd(x, y); }
  llvm::Value* Sub(llvm::Value* x, llvm::Value* y) { return b.CreateFSub(x, y); }
  llvm::Value* Mul(llvm::Value* x, llvm::Value* y) { return b.CreateFMul(x, y); }
  llvm::Value* Div(llvm::Value* x, llvm::Value* y) { return b.CreateFDiv(x, y); }
  llvm::Value* Neg(llvm::Value* x) { return b.CreateFNeg(x); }
  llvm::Value* Gt(llvm::Value* x, llvm::Value* y) { return b.CreateFCmpOGT(x, y); }
  llvm::Value* Ge(llvm::Value* x, llvm::Value* y) { return b.CreateFCmpOGE(x, y); }
  llvm::Value* Lt(llvm::Value* x, llvm::Value* y) { return b.CreateFCmpOLT(x, y); }
  llvm::Value* Select(llvm::Value* c, llvm::Value* x, llvm::Value* y) {
    return b.CreateSelect(c, x, y);
  }
  llvm::Value* Abs(llvm::Value* x) { return math.Call(b, "fabs", {x}); }
  llvm::Value* Exp(llvm::Value* x) { return math.Call(b, "exp", {x}); }
  llvm::Value* Tanh(llvm::Value* x) { return math.Call(b, "tanh", {x}); }
  llvm::Value* Log(llvm::Value* x) { return math.Call(b, "log", {x}); }
  llvm::Value* Sqrt(llvm::Value* x) { return math.Call(b, "sqrt", {x}); }
  llvm::Value* Sin(llvm::Value* x) { return math.Call(b, "sin", {x}); }
  llvm::Value* Cos(llvm::Value* x) { return math.Call(b, "cos", {x}); }
  llvm::Value* Tan(llvm::Value* x) { return math.Call(b, "tan", {x}); }
  // Like the runtime's: x + x quiets a signaling NaN whatever floor itself does with it.
  llvm::Value* Floor(llvm::Value* x) {
    return b.CreateSelect(b.CreateFCmpUNO(x, x), b.CreateFAdd(x, x), math.Call(b, "floor", {x}));
  }
  llvm::Value* Ceil(llvm::Value* x) {
    return b.CreateSelect(b.CreateFCmpUNO(x, x), b.CreateFAdd(x, x), math.Call(b, "ceil", {x}));
  }
  llvm::Value* Pow(llvm::Value* x, llvm::Value* y) { return math.Call(b, "pow", {x, y}); }
};

// The same formulas over nothing, recording which primitives they need.
struct ProbePolicy {
  struct V {};
  std::set<std::string>* used;

  V C(double) { return {}; }
  V Add(V, V) { return {}; }
  V Sub(V, V) { return {}; }
  V Mul(V, V) { return {}; }
  V Div(V, V) { return {}; }
  V Neg(V) { return {}; }
  V Gt(V, V) { return {}; }
  V Ge(V, V) { return {}; }
  V Lt(V, V) { return {}; }
  V Select(V, V, V) { return {}; }
  V Use(const char* name) {
    used->insert(name);
    return {};
  }
  V Abs(V) { return Use("fabs"); }
  V Exp(V) { return Use("exp"); }
  V Tanh(V) { return Use("tanh"); }
  V Log(V) { return Use("log"); }
  V Sqrt(V) { return Use("sqrt"); }
  V Sin(V) { return Use("sin"); }
  V Cos(V) { return Use("cos"); }
  V Tan(V) { return Use("tan"); }
  V Floor(V) { return Use("floor"); }
  V Ceil(V) { return Use("ceil"); }
  V Pow(V, V) { return Use("pow"); }
};

// The primitives a kernel needs.
std::set<std::string> PrimitivesOf(int arity, int kernel) {
  std::set<std::string> used;
  ProbePolicy m{&used};
  ProbePolicy::V x;
  if (arity == 1) {
    switch (static_cast<UnaryKernel>(kernel)) {
      case UnaryKernel::kNeg:
      case UnaryKernel::kNot:
      case UnaryKernel::kCastF32:
        break;
      case UnaryKernel::kCastI32:
      case UnaryKernel::kCastI64:
        used.insert("trunc");
        break;
#define NOMA_UNARY_ELEMENTWISE(Id, name, Differentiability) \
  case UnaryKernel::k##Id:                                  \
    runtime::formulas::Id(m, x);                            \
    break;
#include "noma/graph/builtins.def"
    }
    return used;
  }
  switch (static_cast<BinaryKernel>(kernel)) {
    case BinaryKernel::kMod:
      used.insert("fmod");
      break;
    case BinaryKernel::kAdd:
    case BinaryKernel::kSub:
    case BinaryKernel::kMul:
    case BinaryKernel::kDiv:
    case BinaryKernel::kEq:
    case BinaryKernel::kNe:
    case BinaryKernel::kLt:
    case BinaryKernel::kGt:
    case BinaryKernel::kLe:
    case BinaryKernel::kGe:
    case BinaryKernel::kAnd:
    case BinaryKernel::kOr:
      break;
#define NOMA_BINARY_ELEMENTWISE(Id, name, Differentiability) \
  case BinaryKernel::k##Id:                                  \
    runtime::formulas::Id(m, x, x);                          \
    break;
#include "noma/graph/builtins.def"
  }
  return used;
}

llvm::Value* Bool(llvm::IRBuilder<>& b, llvm::Value* bit) {
  return b.CreateUIToFP(bit, b.getDoubleTy());
}

llvm::Value* Constant(llvm::IRBuilder<>& b, double value) {
  return llvm::ConstantFP::get(b.getDoubleTy(), value);
}

// The runtime's integer casts: NaN stays NaN, saturate into [low, high], truncate toward zero,
// never -0.
llvm::Value* IntegerCast(llvm::IRBuilder<>& b, MathPrimitives& math, llvm::Value* x, double low,
                         double high) {
  llvm::Value* clamped = b.CreateSelect(b.CreateFCmpOLT(x, Constant(b, low)), Constant(b, low), x);
  clamped = b.CreateSelect(b.CreateFCmpOLT(Constant(b, high), clamped), Constant(b, high), clamped);
  llvm::Value* truncated = b.CreateFAdd(math.Call(b, "trunc", {clamped}), Constant(b, 0.0));
  return b.CreateSelect(b.CreateFCmpUNO(x, x), x, truncated);
}

}  // namespace

bool IntrinsicMath::Has(const std::string& name) const {
  return name == "fabs" || name == "sqrt" || name == "floor" || name == "ceil" || name == "trunc";
}

llvm::Value* IntrinsicMath::Call(llvm::IRBuilder<>& b, const std::string& name,
                                 llvm::ArrayRef<llvm::Value*> args) {
  llvm::Intrinsic::ID id = name == "fabs"    ? llvm::Intrinsic::fabs
                           : name == "sqrt"  ? llvm::Intrinsic::sqrt
                           : name == "floor" ? llvm::Intrinsic::floor
                           : name == "ceil"  ? llvm::Intrinsic::ceil
                                             : llvm::Intrinsic::trunc;
  return b.CreateUnaryIntrinsic(id, args[0]);
}

bool KernelIsInline(const MathPrimitives& math, int arity, int kernel) {
  for (const std::string& name : PrimitivesOf(arity, kernel)) {
    if (!math.Has(name)) return false;
  }
  return true;
}

llvm::Value* EmitUnaryKernel(llvm::IRBuilder<>& b, MathPrimitives& math, UnaryKernel kernel,
                             llvm::Value* x) {
  IrPolicy m{b, math};
  switch (kernel) {
    case UnaryKernel::kNeg:
      return b.CreateFNeg(x);
    case UnaryKernel::kNot:
      return Bool(b, b.CreateFCmpOEQ(x, Constant(b, 0.0)));
    case UnaryKernel::kCastF32:
      return b.CreateFPExt(b.CreateFPTrunc(x, b.getFloatTy()), b.getDoubleTy());
    case UnaryKernel::kCastI32:
      return IntegerCast(b, math, x, -2147483648.0, 2147483647.0);
    case UnaryKernel::kCastI64:
      // 2^63 - 1024 is the largest double below 2^63.
      return IntegerCast(b, math, x, -9223372036854775808.0, 9223372036854774784.0);
#define NOMA_UNARY_ELEMENTWISE(Id, name, Differentiability) \
  case UnaryKernel::k##Id:                                  \
    return runtime::formulas::Id(m, x);
#include "noma/graph/builtins.def"
  }
  return llvm::PoisonValue::get(b.getDoubleTy());  // Not reached: the switch is complete.
}

llvm::Value* EmitBinaryKernel(llvm::IRBuilder<>& b, MathPrimitives& math, BinaryKernel kernel,
                              llvm::Value* x, llvm::Value* y) {
  IrPolicy m{b, math};
  switch (kernel) {
    case BinaryKernel::kAdd:
      return b.CreateFAdd(x, y);
    case BinaryKernel::kSub:
      return b.CreateFSub(x, y);
    case BinaryKernel::kMul:
      return b.CreateFMul(x, y);
    case BinaryKernel::kDiv:
      return b.CreateFDiv(x, y);
    case BinaryKernel::kMod:
      return math.Call(b, "fmod", {x, y});
    case BinaryKernel::kEq:
      return Bool(b, b.CreateFCmpOEQ(x, y));
    case BinaryKernel::kNe:
      return Bool(b, b.CreateFCmpUNE(x, y));
    case BinaryKernel::kLt:
      return Bool(b, b.CreateFCmpOLT(x, y));
    case BinaryKernel::kGt:
      return Bool(b, b.CreateFCmpOGT(x, y));
    case BinaryKernel::kLe:
      return Bool(b, b.CreateFCmpOLE(x, y));
    case BinaryKernel::kGe:
      return Bool(b, b.CreateFCmpOGE(x, y));
    case BinaryKernel::kAnd:  // Truthy: != 0 (NaN is true).
      return Bool(b, b.CreateAnd(b.CreateFCmpUNE(x, Constant(b, 0.0)),
                                 b.CreateFCmpUNE(y, Constant(b, 0.0))));
    case BinaryKernel::kOr:
      return Bool(b, b.CreateOr(b.CreateFCmpUNE(x, Constant(b, 0.0)),
                                b.CreateFCmpUNE(y, Constant(b, 0.0))));
#define NOMA_BINARY_ELEMENTWISE(Id, name, Differentiability) \
  case BinaryKernel::k##Id:                                  \
    return runtime::formulas::Id(m, x, y);
#include "noma/graph/builtins.def"
  }
  return llvm::PoisonValue::get(b.getDoubleTy());  // Not reached: the switch is complete.
}

}  // namespace noma::codegen
