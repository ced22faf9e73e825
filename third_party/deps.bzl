"""The external repositories NOMA needs, for this workspace and for any workspace that uses it.

Bazel 4's WORKSPACE mode has no transitive dependencies: a workspace that depends on NOMA (as
the repository `@noma`) must declare NOMA's own dependencies too. Both do it with one call:

    # In this repository's WORKSPACE:
    load("//third_party:deps.bzl", "noma_dependencies")
    noma_dependencies()

    # In another workspace (see tests/downstream/WORKSPACE and docs/rules.md):
    local_repository(name = "noma", path = "third_party/noma")  # or an http_archive, ...
    load("@noma//third_party:deps.bzl", "noma_dependencies")
    noma_dependencies()

Every file is referenced through `Label(...)`, so the declarations work whatever the path of
NOMA in the other workspace. Repositories the workspace already declared (a real `rules_cc`, its
own `@absl`, ...) are kept: each one is declared here only if it does not exist yet, so declare
your own before calling `noma_dependencies()`.
"""

load(":absl_libs.bzl", "ABSL_LIBS")
load(":system_libs.bzl", "system_library")

def _stand_in_repository_impl(ctx):
    # The repository is the directory of the stand-in's WORKSPACE file, entry by entry.
    directory = ctx.path(ctx.attr.workspace_file).dirname
    for entry in directory.readdir():
        ctx.symlink(entry, entry.basename)

_stand_in_repository = repository_rule(
    implementation = _stand_in_repository_impl,
    doc = "A repository made of a directory of NOMA's third_party/ (like local_repository).",
    attrs = {
        "workspace_file": attr.label(
            mandatory = True,
            allow_single_file = True,
            doc = "The WORKSPACE file at the top of the directory.",
        ),
    },
    local = True,
)

def _declare(rule, name, **attrs):
    """Declares the repository `name` unless the workspace already has it."""
    if not native.existing_rule(name):
        rule(name = name, **attrs)

def noma_dependencies():
    """Declares every external repository that building NOMA (and its rules) needs.

    - `rules_cc`, `rules_java`, `remote_coverage_tools`: offline stand-ins for the repositories
      Bazel 4.2.3 would otherwise download on first use (third_party/README.md).
    - `llvm`, `absl`, `re2`, `gtest`, `benchmark`, `cuda`: system libraries, each found through
      an environment variable holding its install prefix (`NOMA_LLVM_PREFIX`, ...), defaulting
      to where Debian 12's packages put it (third_party/system_libs.bzl).
    """

    # Bazel 4.2.3 (Debian's bazel-bootstrap) would download these three repositories on first
    # use. Local stand-ins keep every build offline; see third_party/README.md.
    for name in ["rules_cc", "rules_java", "remote_coverage_tools"]:
        _declare(
            _stand_in_repository,
            name,
            workspace_file = Label("//third_party/%s:WORKSPACE" % name),
        )

    # System libraries: each found through an environment variable holding its install prefix,
    # defaulting to where Debian 12's packages (installed by tools/bootstrap.sh) put it.
    _declare(
        system_library,
        "llvm",
        build_template = Label("//third_party:llvm.BUILD"),
        default_prefix = "/usr/lib/llvm-19",
        env = "NOMA_LLVM_PREFIX",
    )
    _declare(
        system_library,
        "absl",
        build_template = Label("//third_party:absl.BUILD"),
        default_prefix = "/usr",
        env = "NOMA_ABSL_PREFIX",
        # Linked into standalone executables (noma build-exe), which must not need libabsl*.so.
        static_archives = ["libabsl_%s.a" % lib for lib in ABSL_LIBS],
    )
    _declare(
        system_library,
        "re2",
        build_template = Label("//third_party:re2.BUILD"),
        default_prefix = "/usr",
        env = "NOMA_RE2_PREFIX",
    )
    _declare(
        system_library,
        "gtest",
        build_template = Label("//third_party:gtest.BUILD"),
        default_prefix = "/usr",
        env = "NOMA_GTEST_PREFIX",
    )
    _declare(
        system_library,
        "benchmark",
        build_template = Label("//third_party:benchmark.BUILD"),
        default_prefix = "/usr",
        env = "NOMA_BENCHMARK_PREFIX",
    )
    _declare(
        system_library,
        "cuda",
        build_template = Label("//third_party:cuda.BUILD"),
        default_prefix = "/usr/local/cuda",
        entries = [
            "include",
            "bin",
            "lib64",
            "nvvm",
        ],
        env = "NOMA_CUDA_PREFIX",
    )
