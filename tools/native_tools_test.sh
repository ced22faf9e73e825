#!/usr/bin/env bash
# The native-code commands end to end: compile (--emit=llvm|asm|obj), fast-run and build-exe,
# the executable's dependencies (libc and libm only), and bad input to the compiler itself
# (no partial output, exit 1).
#   native_tools_test.sh NOMA PROGRAM BAD_PROGRAM
set -uo pipefail
source "$(dirname "$0")/testlib.sh" || exit 1
NOMA=$(realpath "$1")
PROGRAM=$(realpath "$2")
BAD=$(realpath "$3")
work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/native.XXXXXX")
cd "$work" || exit 1

# --help everywhere.
for cmd in compile fast-run build-exe; do
  expect_exit 0 "$NOMA" "$cmd" --help
  grep -q "usage: noma $cmd" out.txt || fail "$cmd --help does not print its usage"
done

# The reference output, from the interpreter.
expect_exit 0 "$NOMA" run "$PROGRAM" --seed 3
cp out.txt reference.txt
[ -s reference.txt ] || fail "noma run printed nothing"

# fast-run at every optimisation level gives the interpreter's output.
for level in -O0 -O1 -O2 -O3; do
  expect_exit 0 "$NOMA" fast-run "$PROGRAM" "$level" --seed 3
  cmp -s out.txt reference.txt || fail "fast-run $level differs from run: $(diff reference.txt out.txt)"
done

# build-exe: a standalone executable that needs only libc and libm, and accepts --seed.
expect_exit 0 "$NOMA" build-exe "$PROGRAM" -o program
[ -x program ] || fail "build-exe wrote no executable"
[ ! -s out.txt ] && [ ! -s err.txt ] || fail "build-exe printed something on success"
expect_exit 0 ./program --seed 3
cmp -s out.txt reference.txt || fail "the executable differs from run: $(diff reference.txt out.txt)"
deps=$(ldd ./program | awk '{print $1}' | sed 's/\.so.*//' | sort -u | tr '\n' ' ')
for dep in $deps; do
  case "$dep" in
    linux-vdso | /lib64/ld-linux-x86-64 | libc | libm) ;;
    *) fail "the executable depends on $dep (ldd: $deps)" ;;
  esac
done
expect_exit 0 ./program --help
expect_exit 2 ./program --no-such-option
grep -q "unknown option '--no-such-option'" err.txt || fail "executable: unclear usage error"
expect_exit 0 "$NOMA" build-exe "$PROGRAM" -o program_portable --target-cpu x86-64
expect_exit 0 ./program_portable --seed 3
cmp -s out.txt reference.txt || fail "the x86-64 baseline executable differs from run"

# compile: IR, assembly, object.
expect_exit 0 "$NOMA" compile "$PROGRAM" -o program.ll
grep -q '^define .*@main(' program.ll || fail "no main in the LLVM IR"
grep -q 'noma_p_' program.ll || fail "the IR does not call the program runtime"
expect_exit 0 "$NOMA" compile "$PROGRAM" --emit=asm -o program.s
grep -q '^main:' program.s || fail "no main in the assembly"
expect_exit 0 "$NOMA" compile "$PROGRAM" --emit=obj -o program.o
[ "$(head -c 4 program.o | od -An -c | tr -d ' ')" = "177ELF" ] || fail "the object is not ELF"
expect_exit 0 "$NOMA" compile "$PROGRAM" --emit=ptx -o program.ptx
grep -q '\.entry noma_ew_[0-9a-f]*(' program.ptx || fail "no chain kernel in the PTX"
grep -q '\.entry noma_matmul(' program.ptx || fail "no matmul kernel in the PTX"
grep -q '^\.target sm_80' program.ptx || fail "the PTX is not for sm_80 (the default)"
expect_exit 2 "$NOMA" compile "$PROGRAM" --emit=ptx --gpu-arch=sm_10
(cd "$work" && expect_exit 0 "$NOMA" compile "$PROGRAM" --emit=llvm)
[ -s "$work/native.ll" ] || fail "compile without -o did not write native.ll"

# Bad input to the compiler: exit 1, a clear message, and no output file left behind.
expect_exit 1 "$NOMA" build-exe "$PROGRAM" -o no_such_dir/program
grep -qx "noma build-exe: error: cannot write 'no_such_dir/program': No such file or directory" err.txt ||
  fail "unwritable -o: $(cat err.txt)"
expect_exit 1 "$NOMA" build-exe "$PROGRAM" -o linked --linker /no/such/linker
grep -q "cannot run the linker '/no/such/linker'" err.txt || fail "missing linker: $(cat err.txt)"
[ ! -e linked ] || fail "a failed link left its output behind"
ls | grep -q 'noma-' && fail "temporary files left behind: $(ls)"
expect_exit 1 "$NOMA" build-exe "$BAD" -o bad_program
grep -q "bad.noma:2:11: error: unknown name 'undefined_name'" err.txt ||
  fail "compile-time errors are not reported: $(cat err.txt)"
[ ! -e bad_program ] || fail "a program with errors produced an executable"
expect_exit 1 "$NOMA" compile "$PROGRAM" -o no_such_dir/x.ll
[ ! -e no_such_dir ] || fail "compile created a directory"
expect_exit 1 "$NOMA" fast-run "$BAD"
expect_exit 1 "$NOMA" compile "$PROGRAM" --target-cpu no-such-cpu -o cpu.ll
grep -q "unknown target CPU 'no-such-cpu'" err.txt || fail "unknown CPU: $(cat err.txt)"
[ ! -e cpu.ll ] || fail "an unknown CPU still wrote output"
expect_exit 2 "$NOMA" compile "$PROGRAM" -O7
# build-exe without -o writes ./STEM (the earlier implementation's editor command runs that).
expect_exit 0 "$NOMA" build-exe "$PROGRAM"
[ -x native ] || fail "build-exe without -o did not write ./native: $(ls)"
expect_exit 0 ./native --seed 3
cmp -s out.txt reference.txt || fail "./native differs from run"
cp "$PROGRAM" no_extension
expect_exit 2 "$NOMA" build-exe no_extension
grep -q "does not end in .noma" err.txt || fail "build-exe of a file without .noma: $(cat err.txt)"
# `-O 3` (with a blank) is -O3.
expect_exit 0 "$NOMA" fast-run "$PROGRAM" -O 3 --seed 3
cmp -s out.txt reference.txt || fail "fast-run -O 3 differs from run"
expect_exit 2 "$NOMA" fast-run "$PROGRAM" -O 7
# A missing program: the OS's reason, located at the file.
expect_exit 1 "$NOMA" run missing.noma
grep -q "cannot open 'missing.noma': No such file or directory" err.txt ||
  fail "noma run missing.noma: $(cat err.txt)"

finish "all native tool checks passed"
