#ifndef NOMA_CODEGEN_ELEMENTWISE_IR_H_
#define NOMA_CODEGEN_ELEMENTWISE_IR_H_

// The runtime's elementwise kernels (runtime::UnaryKernel / BinaryKernel) as LLVM IR on one
// double, for back ends that generate their own loops: the CPU code generator's fused groups
// and the GPU's PTX kernels. The formulas are the runtime's own (runtime/formulas.h) and the
// arithmetic is IEEE without contraction, so every element is bit-identical to the runtime's
// kernels as long as the math primitives are (see MathPrimitives).
#include <string>

#include "llvm/ADT/ArrayRef.h"
#include "llvm/IR/IRBuilder.h"
#include "noma/runtime/tensor.h"

namespace noma::codegen {

// Where a back end's math functions come from. Primitive names: "fabs", "sqrt", "floor",
// "ceil", "trunc" (exact operations), "exp", "tanh", "log", "sin", "cos", "tan", "pow",
// "fmod".
class MathPrimitives {
 public:
  virtual ~MathPrimitives() = default;
  // Whether Call can emit `name`. A kernel that needs a primitive the target lacks is not
  // inline (KernelIsInline) and must run elsewhere (the CPU: the runtime's array kernels,
  // whose exp and tanh are not the C library's).
  virtual bool Has(const std::string& name) const = 0;
  virtual llvm::Value* Call(llvm::IRBuilder<>& b, const std::string& name,
                            llvm::ArrayRef<llvm::Value*> args) = 0;
};

// The exact primitives as LLVM intrinsics ("fabs", "sqrt", "floor", "ceil", "trunc"), which
// are correctly rounded on every target, so they match the C library's functions.
class IntrinsicMath : public MathPrimitives {
 public:
  bool Has(const std::string& name) const override;
  llvm::Value* Call(llvm::IRBuilder<>& b, const std::string& name,
                    llvm::ArrayRef<llvm::Value*> args) override;
};

// Whether the kernel (arity 1: UnaryKernel, 2: BinaryKernel) needs only primitives `math` has.
bool KernelIsInline(const MathPrimitives& math, int arity, int kernel);

// One element of the kernel; operands and result are doubles. Requires KernelIsInline.
llvm::Value* EmitUnaryKernel(llvm::IRBuilder<>& b, MathPrimitives& math,
                             runtime::UnaryKernel kernel, llvm::Value* x);
llvm::Value* EmitBinaryKernel(llvm::IRBuilder<>& b, MathPrimitives& math,
                              runtime::BinaryKernel kernel, llvm::Value* x, llvm::Value* y);

}  // namespace noma::codegen

#endif  // NOMA_CODEGEN_ELEMENTWISE_IR_H_
