#include "noma/graph/runtime_kernels.h"

namespace noma::graph {

runtime::BinaryKernel BinaryKernelOf(BinaryOpKind op) {
  using runtime::BinaryKernel;
  switch (op) {
    case BinaryOpKind::kAdd:
      return BinaryKernel::kAdd;
    case BinaryOpKind::kSub:
      return BinaryKernel::kSub;
    case BinaryOpKind::kMul:
      return BinaryKernel::kMul;
    case BinaryOpKind::kDiv:
      return BinaryKernel::kDiv;
    case BinaryOpKind::kMod:
      return BinaryKernel::kMod;
    case BinaryOpKind::kPow:
      return BinaryKernel::kPow;
    case BinaryOpKind::kEq:
      return BinaryKernel::kEq;
    case BinaryOpKind::kNe:
      return BinaryKernel::kNe;
    case BinaryOpKind::kLt:
      return BinaryKernel::kLt;
    case BinaryOpKind::kGt:
      return BinaryKernel::kGt;
    case BinaryOpKind::kLe:
      return BinaryKernel::kLe;
    case BinaryOpKind::kGe:
      return BinaryKernel::kGe;
    case BinaryOpKind::kAnd:
      return BinaryKernel::kAnd;
    case BinaryOpKind::kOr:
      return BinaryKernel::kOr;
  }
  return BinaryKernel::kAdd;
}

runtime::UnaryKernel UnaryKernelOf(UnaryOpKind op) {
  using runtime::UnaryKernel;
  switch (op) {
    case UnaryOpKind::kNeg:
      return UnaryKernel::kNeg;
    case UnaryOpKind::kNot:
      return UnaryKernel::kNot;
    case UnaryOpKind::kCastF32:
      return UnaryKernel::kCastF32;
    case UnaryOpKind::kCastI32:
      return UnaryKernel::kCastI32;
    case UnaryOpKind::kCastI64:
      return UnaryKernel::kCastI64;
  }
  return UnaryKernel::kNeg;
}

bool UnaryKernelOf(Builtin builtin, runtime::UnaryKernel* kernel) {
  using runtime::UnaryKernel;
  static constexpr struct {
    Builtin builtin;
    UnaryKernel kernel;
  } kTable[] = {
      {Builtin::kSigmoid, UnaryKernel::kSigmoid}, {Builtin::kRelu, UnaryKernel::kRelu},
      {Builtin::kTanh, UnaryKernel::kTanh},       {Builtin::kExp, UnaryKernel::kExp},
      {Builtin::kLog, UnaryKernel::kLog},         {Builtin::kSqrt, UnaryKernel::kSqrt},
      {Builtin::kSin, UnaryKernel::kSin},         {Builtin::kCos, UnaryKernel::kCos},
      {Builtin::kTan, UnaryKernel::kTan},         {Builtin::kAbs, UnaryKernel::kAbs},
      {Builtin::kFloor, UnaryKernel::kFloor},     {Builtin::kCeil, UnaryKernel::kCeil},
  };
  for (const auto& entry : kTable) {
    if (entry.builtin == builtin) {
      *kernel = entry.kernel;
      return true;
    }
  }
  return false;
}

bool BinaryKernelOf(Builtin builtin, runtime::BinaryKernel* kernel) {
  switch (builtin) {
    case Builtin::kPow:
      *kernel = runtime::BinaryKernel::kPow;
      return true;
    case Builtin::kMin:
      *kernel = runtime::BinaryKernel::kMin;
      return true;
    case Builtin::kMax:
      *kernel = runtime::BinaryKernel::kMax;
      return true;
    default:
      return false;
  }
}

}  // namespace noma::graph
