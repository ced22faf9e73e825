# For users without flakes: `nix-build` builds the noma CLI from this checkout.
{ pkgs ? import <nixpkgs> { } }:
pkgs.callPackage ./nix/package.nix { src = ./.; }
