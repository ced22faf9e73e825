; ModuleID = 'noma_program'
source_filename = "noma_program"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

%noma_cell = type { i64, double, ptr }

@noma_p_location = external global i64
@0 = private constant [1 x i64] [i64 2]
@.str.0 = private unnamed_addr constant [2 x i8] c"t\00"
@.str.1 = private unnamed_addr constant [25 x i8] c"/tmp/p.noma:2:5: error: \00"
@.str.2 = private unnamed_addr constant [57 x i8] c"\0A 2 |     print(pow(2, 10));\0A   |     ^~~~~~~~~~~~~~~~~\0A\00"
@.str.3 = private unnamed_addr constant [25 x i8] c"/tmp/p.noma:3:5: error: \00"
@.str.4 = private unnamed_addr constant [55 x i8] c"\0A 3 |     print(max(3, 4));\0A   |     ^~~~~~~~~~~~~~~~\0A\00"
@.str.5 = private unnamed_addr constant [26 x i8] c"/tmp/p.noma:4:13: error: \00"
@.str.6 = private unnamed_addr constant [65 x i8] c"\0A 4 |     let t = tensor [1, 5];\0A   |             ^~~~~~~~~~~~~\0A\00"
@.str.7 = private unnamed_addr constant [26 x i8] c"/tmp/p.noma:5:15: error: \00"
@.str.8 = private unnamed_addr constant [50 x i8] c"\0A 5 |     print(max(t, 3));\0A   |               ^\0A\00"
@.str.9 = private unnamed_addr constant [26 x i8] c"/tmp/p.noma:5:11: error: \00"
@.str.10 = private unnamed_addr constant [54 x i8] c"\0A 5 |     print(max(t, 3));\0A   |           ^~~~~~~~~\0A\00"
@.str.11 = private unnamed_addr constant [25 x i8] c"/tmp/p.noma:5:5: error: \00"
@.str.12 = private unnamed_addr constant [55 x i8] c"\0A 5 |     print(max(t, 3));\0A   |     ^~~~~~~~~~~~~~~~\0A\00"
@noma_location_prefix = private constant [6 x ptr] [ptr @.str.1, ptr @.str.3, ptr @.str.5, ptr @.str.7, ptr @.str.9, ptr @.str.11]
@noma_location_suffix = private constant [6 x ptr] [ptr @.str.2, ptr @.str.4, ptr @.str.6, ptr @.str.8, ptr @.str.10, ptr @.str.12]
@noma_program = constant { ptr, ptr, i64, ptr } { ptr @noma_location_prefix, ptr @noma_location_suffix, i64 6, ptr @noma_fn_main }

define internal i32 @noma_fn_main(ptr %0, ptr %1) #0 {
entry:
  %2 = alloca [1 x ptr], align 8
  %3 = alloca [2 x ptr], align 8
  %4 = alloca [2 x ptr], align 8
  %5 = alloca [1 x ptr], align 8
  %6 = alloca [1 x ptr], align 8
  %values = alloca [15 x %noma_cell], align 8
  call void @llvm.memset.p0.i64(ptr align 8 %values, i8 0, i64 360, i1 false)
  %slots = alloca [1 x %noma_cell], align 8
  call void @llvm.memset.p0.i64(ptr align 8 %slots, i8 0, i64 24, i1 false)
  %s0 = alloca double, align 8
  %s1 = alloca double, align 8
  %s2 = alloca double, align 8
  %s3 = alloca double, align 8
  %s4 = alloca double, align 8
  %s5 = alloca double, align 8
  %s6 = alloca double, align 8
  %s7 = alloca double, align 8
  %s8 = alloca double, align 8
  %s9 = alloca double, align 8
  %s12 = alloca double, align 8
  %tapes = alloca ptr, align 8
  store ptr null, ptr %tapes, align 8
  %minimize_count = alloca i64, align 8
  store i64 0, ptr %minimize_count, align 4
  %last_loss = alloca double, align 8
  store double 0.000000e+00, ptr %last_loss, align 8
  %return_code = alloca i32, align 4
  store i32 0, ptr %return_code, align 4
  store double 2.000000e+00, ptr %s0, align 8
  store double 1.000000e+01, ptr %s1, align 8
  %7 = load double, ptr %s0, align 8
  %8 = call double @noma_p_unary_scalar(i32 15, double %7)
  store double %8, ptr %s2, align 8
  %9 = getelementptr inbounds [0 x %noma_cell], ptr %values, i64 0, i64 3
  %10 = getelementptr inbounds [0 x %noma_cell], ptr %values, i64 0, i64 2
  %11 = getelementptr inbounds %noma_cell, ptr %10, i32 0, i32 0
  store i64 1, ptr %11, align 4
  %12 = getelementptr inbounds %noma_cell, ptr %10, i32 0, i32 1
  %13 = load double, ptr %s2, align 8
  store double %13, ptr %12, align 8
  %14 = getelementptr inbounds [1 x ptr], ptr %6, i64 0, i64 0
  store ptr %10, ptr %14, align 8
  store i64 0, ptr @noma_p_location, align 4
  %15 = call i32 @noma_p_builtin(ptr %9, i32 30, ptr %6, i32 1)
  %16 = getelementptr inbounds [0 x %noma_cell], ptr %values, i64 0, i64 3
  %17 = getelementptr inbounds %noma_cell, ptr %16, i32 0, i32 1
  %18 = load double, ptr %17, align 8
  store double %18, ptr %s3, align 8
  store double 3.000000e+00, ptr %s4, align 8
  store double 4.000000e+00, ptr %s5, align 8
  %19 = load double, ptr %s4, align 8
  %20 = call double @noma_p_unary_scalar(i32 15, double %19)
  store double %20, ptr %s6, align 8
  %21 = getelementptr inbounds [0 x %noma_cell], ptr %values, i64 0, i64 7
  %22 = getelementptr inbounds [0 x %noma_cell], ptr %values, i64 0, i64 6
  %23 = getelementptr inbounds %noma_cell, ptr %22, i32 0, i32 0
  store i64 1, ptr %23, align 4
  %24 = getelementptr inbounds %noma_cell, ptr %22, i32 0, i32 1
  %25 = load double, ptr %s6, align 8
  store double %25, ptr %24, align 8
  %26 = getelementptr inbounds [1 x ptr], ptr %5, i64 0, i64 0
  store ptr %22, ptr %26, align 8
  store i64 1, ptr @noma_p_location, align 4
  %27 = call i32 @noma_p_builtin(ptr %21, i32 30, ptr %5, i32 1)
  %28 = getelementptr inbounds [0 x %noma_cell], ptr %values, i64 0, i64 7
  %29 = getelementptr inbounds %noma_cell, ptr %28, i32 0, i32 1
  %30 = load double, ptr %29, align 8
  store double %30, ptr %s7, align 8
  store double 1.000000e+00, ptr %s8, align 8
  store double 5.000000e+00, ptr %s9, align 8
  %31 = getelementptr inbounds [0 x %noma_cell], ptr %values, i64 0, i64 10
  %32 = getelementptr inbounds [0 x %noma_cell], ptr %values, i64 0, i64 8
  %33 = getelementptr inbounds %noma_cell, ptr %32, i32 0, i32 0
  store i64 1, ptr %33, align 4
  %34 = getelementptr inbounds %noma_cell, ptr %32, i32 0, i32 1
  %35 = load double, ptr %s8, align 8
  store double %35, ptr %34, align 8
  %36 = getelementptr inbounds [0 x %noma_cell], ptr %values, i64 0, i64 9
  %37 = getelementptr inbounds %noma_cell, ptr %36, i32 0, i32 0
  store i64 1, ptr %37, align 4
  %38 = getelementptr inbounds %noma_cell, ptr %36, i32 0, i32 1
  %39 = load double, ptr %s9, align 8
  store double %39, ptr %38, align 8
  %40 = getelementptr inbounds [2 x ptr], ptr %4, i64 0, i64 0
  store ptr %32, ptr %40, align 8
  %41 = getelementptr inbounds [2 x ptr], ptr %4, i64 0, i64 1
  store ptr %36, ptr %41, align 8
  store i64 2, ptr @noma_p_location, align 4
  %42 = call i32 @noma_p_tensor_literal(ptr %31, ptr %4, i64 2, ptr @0, i32 1)
  %43 = getelementptr inbounds [0 x %noma_cell], ptr %slots, i64 0, i64 0
  %44 = getelementptr inbounds [0 x %noma_cell], ptr %values, i64 0, i64 10
  call void @noma_p_copy(ptr %43, ptr %44)
  %45 = getelementptr inbounds [0 x %noma_cell], ptr %slots, i64 0, i64 0
  %46 = getelementptr inbounds [0 x %noma_cell], ptr %values, i64 0, i64 11
  store i64 3, ptr @noma_p_location, align 4
  %47 = call i32 @noma_p_load(ptr %46, ptr %45, ptr @.str.0)
  store double 3.000000e+00, ptr %s12, align 8
  %48 = getelementptr inbounds [0 x %noma_cell], ptr %values, i64 0, i64 13
  %49 = getelementptr inbounds [0 x %noma_cell], ptr %values, i64 0, i64 11
  %50 = getelementptr inbounds [0 x %noma_cell], ptr %values, i64 0, i64 12
  %51 = getelementptr inbounds %noma_cell, ptr %50, i32 0, i32 0
  store i64 1, ptr %51, align 4
  %52 = getelementptr inbounds %noma_cell, ptr %50, i32 0, i32 1
  %53 = load double, ptr %s12, align 8
  store double %53, ptr %52, align 8
  %54 = getelementptr inbounds [2 x ptr], ptr %3, i64 0, i64 0
  store ptr %49, ptr %54, align 8
  %55 = getelementptr inbounds [2 x ptr], ptr %3, i64 0, i64 1
  store ptr %50, ptr %55, align 8
  store i64 4, ptr @noma_p_location, align 4
  %56 = call i32 @noma_p_builtin(ptr %48, i32 12, ptr %3, i32 2)
  %57 = getelementptr inbounds [0 x %noma_cell], ptr %values, i64 0, i64 14
  %58 = getelementptr inbounds [0 x %noma_cell], ptr %values, i64 0, i64 13
  %59 = getelementptr inbounds [1 x ptr], ptr %2, i64 0, i64 0
  store ptr %58, ptr %59, align 8
  store i64 5, ptr @noma_p_location, align 4
  %60 = call i32 @noma_p_builtin(ptr %57, i32 30, ptr %2, i32 1)
  br label %exit

exit:                                             ; preds = %error, %entry
  call void @noma_p_release_all(ptr %values, i64 15)
  call void @noma_p_release_all(ptr %slots, i64 1)
  %61 = load ptr, ptr %tapes, align 8
  call void @noma_p_tapes_free(ptr %61)
  %62 = load i32, ptr %return_code, align 4
  ret i32 %62

error:                                            ; No predecessors!
  store i32 1, ptr %return_code, align 4
  br label %exit
}

; Function Attrs: nocallback nofree nounwind willreturn memory(argmem: write)
declare void @llvm.memset.p0.i64(ptr nocapture writeonly, i8, i64, i1 immarg) #1

declare double @noma_p_unary_scalar(i32, double)

declare i32 @noma_p_builtin(ptr, i32, ptr, i32)

declare i32 @noma_p_tensor_literal(ptr, ptr, i64, ptr, i32)

declare void @noma_p_copy(ptr, ptr)

declare i32 @noma_p_load(ptr, ptr, ptr)

declare void @noma_p_release_all(ptr, i64)

declare void @noma_p_tapes_free(ptr)

define i32 @main(i32 %0, ptr %1) #0 {
entry:
  %2 = call i32 @noma_p_main(ptr @noma_program, i32 %0, ptr %1)
  ret i32 %2
}

declare i32 @noma_p_main(ptr, i32, ptr)

attributes #0 = { "target-cpu"="x86-64" }
attributes #1 = { nocallback nofree nounwind willreturn memory(argmem: write) }
