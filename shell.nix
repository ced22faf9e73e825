# For users without flakes: `nix-shell` gives the toolchain with the NOMA_*_PREFIX variables set.
{ pkgs ? import <nixpkgs> { } }:
let
  noma = pkgs.callPackage ./nix/package.nix { src = ./.; };
in
pkgs.mkShell {
  packages = noma.toolchain ++ [
    (pkgs.python3.withPackages (ps: [ ps.numpy ps.torch ]))
    pkgs.clang-tools
  ];
  shellHook = noma.prefixExports;
}
