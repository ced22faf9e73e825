// Checks that the @llvm wrapper (third_party/llvm.BUILD) compiles and links against LLVM 19,
// whichever prefix NOMA_LLVM_PREFIX points at.
#include "gtest/gtest.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"

TEST(LlvmSmokeTest, BuildsAndVerifiesAFunction) {
  EXPECT_EQ(LLVM_VERSION_MAJOR, 19);
  llvm::LLVMContext context;
  llvm::Module module("smoke", context);
  llvm::IRBuilder<> builder(context);
  auto* type = llvm::FunctionType::get(builder.getDoubleTy(), {builder.getDoubleTy()}, false);
  auto* fn = llvm::Function::Create(type, llvm::Function::ExternalLinkage, "twice", module);
  builder.SetInsertPoint(llvm::BasicBlock::Create(context, "entry", fn));
  builder.CreateRet(
      builder.CreateFMul(fn->getArg(0), llvm::ConstantFP::get(type->getReturnType(), 2.0)));
  EXPECT_FALSE(llvm::verifyModule(module, &llvm::errs()));
}
