{
  description = "NOMA: a compiler for differentiable programs (Bazel-built C++ toolkit)";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.05";
    flake-utils.url = "github:numtide/flake-utils";
  };

  outputs = { self, nixpkgs, flake-utils }:
    flake-utils.lib.eachSystem [ "x86_64-linux" ] (system:
      let
        pkgs = import nixpkgs { inherit system; };
        noma = pkgs.callPackage ./nix/package.nix { src = self; };
      in {
        packages.default = noma;

        apps.default = {
          type = "app";
          program = "${noma}/bin/noma";
        };

        devShells.default = pkgs.mkShell {
          packages = noma.toolchain ++ [
            (pkgs.python3.withPackages (ps: [ ps.numpy ps.torch ]))
            pkgs.clang-tools
          ];
          # The same variables third_party/system_libs.bzl reads (see .bazelrc).
          shellHook = noma.prefixExports;
        };
      });
}
