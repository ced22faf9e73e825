# Builds //tools:noma with Bazel inside the Nix sandbox, offline: every third-party library is
# a store path handed to Bazel through the NOMA_*_PREFIX variables of third_party/system_libs.bzl.
{ lib, stdenv, src, bazel_4 ? null, bazel, llvmPackages_19, abseil-cpp, re2, gtest
, gbenchmark, jdk17_headless, which, git }:

let
  bazelBin = if bazel_4 != null then bazel_4 else bazel;
  llvm = llvmPackages_19.llvm;
  # LLVM's headers and libraries live in two outputs; join them into one prefix.
  llvmPrefix = stdenv.mkDerivation {
    pname = "noma-llvm-prefix";
    version = llvm.version;
    dontUnpack = true;
    installPhase = ''
      mkdir -p $out
      ln -s ${llvm.dev}/include $out/include
      ln -s ${llvm.lib}/lib $out/lib
    '';
  };
  prefixes = {
    NOMA_LLVM_PREFIX = llvmPrefix;
    NOMA_ABSL_PREFIX = abseil-cpp;
    NOMA_RE2_PREFIX = re2;
    NOMA_GTEST_PREFIX = gtest;
    NOMA_BENCHMARK_PREFIX = gbenchmark;
  };
  prefixExports = lib.concatStringsSep "\n"
    (lib.mapAttrsToList (name: value: "export ${name}=${value}") prefixes);
in
stdenv.mkDerivation {
  pname = "noma";
  version = "0.1.0";
  inherit src;

  nativeBuildInputs = [ bazelBin jdk17_headless which git ];
  buildInputs = [ llvmPrefix abseil-cpp re2 gtest gbenchmark ];

  buildPhase = ''
    runHook preBuild
    export HOME=$TMPDIR
    ${prefixExports}
    bazel --output_user_root=$TMPDIR/bazel build \
      --experimental_repository_disable_download --jobs=$NIX_BUILD_CORES //tools:noma
    runHook postBuild
  '';

  installPhase = ''
    runHook preInstall
    install -Dm755 bazel-bin/tools/noma $out/bin/noma
    install -Dm755 bazel-bin/tools/noma-fmt $out/bin/noma-fmt || true
    runHook postInstall
  '';

  passthru = {
    toolchain = [ bazelBin llvmPrefix abseil-cpp re2 gtest gbenchmark ];
    inherit prefixExports;
  };

  meta = {
    description = "A compiler for differentiable programs";
    platforms = [ "x86_64-linux" ];
    mainProgram = "noma";
  };
}
