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

// Each elementwise builtin of the registry has the kernel of its own name; every other
// builtin has none (its case comes from the registry too, so the switches are complete).
bool UnaryKernelOf(Builtin builtin, runtime::UnaryKernel* kernel) {
  switch (builtin) {
#define NOMA_UNARY_ELEMENTWISE(Id, name, Differentiability) \
  case Builtin::k##Id:                                      \
    *kernel = runtime::UnaryKernel::k##Id;                  \
    return true;
#include "noma/graph/builtins.def"
    // The other builtins (labels only, after every body above, so none falls through).
#define NOMA_BUILTIN(Id, name, min_args, max_args, Differentiability) case Builtin::k##Id:
#define NOMA_UNARY_ELEMENTWISE(Id, name, Differentiability)
#include "noma/graph/builtins.def"
    return false;
  }
  return false;
}

bool BinaryKernelOf(Builtin builtin, runtime::BinaryKernel* kernel) {
  switch (builtin) {
#define NOMA_BINARY_ELEMENTWISE(Id, name, Differentiability) \
  case Builtin::k##Id:                                       \
    *kernel = runtime::BinaryKernel::k##Id;                  \
    return true;
#include "noma/graph/builtins.def"
    // The other builtins (labels only, after every body above, so none falls through).
#define NOMA_BUILTIN(Id, name, min_args, max_args, Differentiability) case Builtin::k##Id:
#define NOMA_BINARY_ELEMENTWISE(Id, name, Differentiability)
#include "noma/graph/builtins.def"
    return false;
  }
  return false;
}

}  // namespace noma::graph
