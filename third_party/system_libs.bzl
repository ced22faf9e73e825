"""Repository rule for system libraries found through an environment variable per library.

Each library has a prefix (a directory with include/ and lib/) read from an environment
variable, with the Debian 12 location as the default, e.g.
    NOMA_LLVM_PREFIX=/opt/llvm-19 bazel build //tools:noma
The repository symlinks the prefix's include/ (and bin/ where asked) and instantiates the
library's BUILD template with the prefix's library directory, so the same BUILD files work
for Debian packages, Nix store paths or a hand-made directory of symlinks.
"""

def _library_dir(ctx, prefix):
    # Debian keeps libraries in lib/<multiarch>; other prefixes (Nix, /opt) use lib/.
    for candidate in ["lib/x86_64-linux-gnu", "lib64", "lib"]:
        if ctx.path(prefix + "/" + candidate).exists:
            return prefix + "/" + candidate
    return prefix + "/lib"

def _system_library_impl(ctx):
    prefix = ctx.os.environ.get(ctx.attr.env, ctx.attr.default_prefix)
    if not ctx.path(prefix).exists:
        fail("%s: prefix '%s' does not exist (set %s to the library's install prefix)" %
             (ctx.name, prefix, ctx.attr.env))
    for entry in ctx.attr.entries:
        path = ctx.path(prefix + "/" + entry)
        if path.exists:
            ctx.symlink(path, entry)
    libdir = _library_dir(ctx, prefix)
    for archive in ctx.attr.static_archives:
        path = ctx.path(libdir + "/" + archive)
        if path.exists:
            ctx.symlink(path, "static/" + archive)

    # /usr is already on the compiler's and linker's search paths; naming it again with
    # -isystem would reorder libstdc++'s #include_next chain.
    system = prefix in ["/usr", "/usr/"]
    ctx.template("BUILD.bazel", ctx.attr.build_template, {
        "%{prefix}": prefix,
        "%{libdir}": libdir,
        "%{includes}": "[]" if system else "[\"include\"]",
        "%{linkdirs}": "[]" if system else "[\"-L%s\", \"-Wl,-rpath,%s\"]" % (libdir, libdir),
    }, executable = False)
    ctx.file("WORKSPACE", "workspace(name = \"%s\")\n" % ctx.name)

system_library = repository_rule(
    implementation = _system_library_impl,
    attrs = {
        "env": attr.string(mandatory = True, doc = "Environment variable holding the prefix."),
        "default_prefix": attr.string(mandatory = True, doc = "Debian 12 location."),
        "entries": attr.string_list(default = ["include"], doc = "Prefix entries to expose."),
        "build_template": attr.label(mandatory = True, allow_single_file = True),
        "static_archives": attr.string_list(
            default = [],
            doc = "Static libraries of the library directory to expose under static/.",
        ),
    },
    environ = [
        "NOMA_LLVM_PREFIX",
        "NOMA_ABSL_PREFIX",
        "NOMA_RE2_PREFIX",
        "NOMA_GTEST_PREFIX",
        "NOMA_BENCHMARK_PREFIX",
        "NOMA_CUDA_PREFIX",
    ],
    local = True,
)
