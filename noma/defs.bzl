"""Bazel rules for NOMA programs: `noma_binary`, `noma_library` and `noma_test`.

Load them from this repository, in this workspace or in another one that declares it as the
repository `@noma` (see docs/rules.md):

    load("@noma//noma:defs.bzl", "noma_binary", "noma_library", "noma_test")

    noma_binary(name = "train", src = "train.noma")           # bazel run //pkg:train
    noma_library(name = "model", src = "model.noma")          # a cc_library: #include "pkg/model.h"
    noma_test(name = "train_test", src = "train.noma", expected_stdout = "done\\n")

The compiler (`//tools:noma`) and the program runtime are referenced with `Label(...)`, so they
resolve to `@noma//...` when these rules are loaded from another workspace. Every action reads
only its declared inputs, gets execroot-relative paths (`File.path`), and writes outputs that
depend on nothing but those inputs: no absolute paths, no timestamps (the outputs are
bit-for-bit reproducible; tools/rules/check_reproducible.sh checks it).
"""

# The compiler, run in the exec configuration by the build actions.
_NOMA = Label("//tools:noma")

# The static program runtime (libnoma_program.a) that `noma build-exe` links executables with.
_PROGRAM_ARCHIVE = Label("//noma/runtime:program_archive")

# The program ABI (noma/runtime/program.h) that objects of `noma compile --library` call.
# An alias with public visibility, so that other workspaces may link it (tools/rules/BUILD.bazel).
_PROGRAM_RUNTIME = Label("//tools/rules:program_runtime")

# Abseil: the generated header returns absl::StatusOr.
_ABSL = Label("@absl//:absl")

# The script of noma_test.
_TEST_TEMPLATE = Label("//tools/rules:noma_test.sh.tpl")

# Options the rules set themselves; `opts` may not repeat them.
_RESERVED_OPTIONS = ["-o", "--runtime-archive", "--linker", "--emit", "--library", "--header"]

def _check_opts(what, opts):
    """Fails if `opts` contains an option that the rule itself passes to `noma`."""
    for opt in opts:
        for reserved in _RESERVED_OPTIONS:
            if opt == reserved or opt.startswith(reserved + "="):
                fail("%s: '%s' is set by the rule and cannot be passed in opts" % (what, opt))

def _shell_quote(word):
    """Quotes `word` for a POSIX shell."""
    return "'" + word.replace("'", "'\\''") + "'"

def _is_c_identifier(name):
    """True if `name` is a valid C/C++ identifier (letters, digits, '_', no leading digit)."""
    if not name or name[0].isdigit():
        return False
    for c in name.elems():
        if not (c.isalnum() or c == "_"):
            return False
    return True

def _work_path(file):
    """The path of a runfile relative to the workspace root of the test's working directory.

    Files of the main repository keep their workspace-relative path (`examples/x.noma`); files
    of another repository are placed at `external/REPO/...`, as in the execroot.
    """
    if file.short_path.startswith("../"):
        return "external/" + file.short_path[len("../"):]
    return file.short_path

# The attributes _build_exe needs: the compiler in the exec configuration and the runtime.
def _build_exe_attrs():
    return {
        "_noma_exec": attr.label(
            default = _NOMA,
            executable = True,
            cfg = "exec",
        ),
        "_program_archive": attr.label(
            default = _PROGRAM_ARCHIVE,
            allow_single_file = True,
        ),
    }

def _build_exe(ctx, src, output, opts):
    """Registers the `noma build-exe` action that compiles `src` into the executable `output`."""
    args = ctx.actions.args()
    args.add("build-exe")
    args.add(src)
    args.add("-o", output)
    args.add("--runtime-archive", ctx.file._program_archive)
    args.add_all(opts)
    ctx.actions.run(
        executable = ctx.executable._noma_exec,
        arguments = [args],
        inputs = [src, ctx.file._program_archive],
        outputs = [output],
        mnemonic = "NomaBuildExe",
        progress_message = "Compiling NOMA program %s into an executable" % src.short_path,
        # build-exe links with the system C++ driver (`c++`), found through PATH. With
        # --incompatible_strict_action_env that environment is a fixed PATH, so the action
        # stays cacheable across machines.
        use_default_shell_env = True,
    )

def _data_runfiles(ctx):
    """The runfiles of the `data` attribute: its files and their own runfiles."""
    runfiles = ctx.runfiles(files = ctx.files.data)
    for target in ctx.attr.data:
        runfiles = runfiles.merge(target[DefaultInfo].default_runfiles)
    return runfiles

# ---------------------------------------------------------------------------------------------
# noma_binary

def _noma_binary_impl(ctx):
    _check_opts("noma_binary %s" % ctx.label, ctx.attr.opts)
    executable = ctx.actions.declare_file(ctx.label.name)
    _build_exe(ctx, ctx.file.src, executable, ctx.attr.opts)
    return [DefaultInfo(
        executable = executable,
        files = depset([executable]),
        runfiles = _data_runfiles(ctx),
    )]

noma_binary = rule(
    implementation = _noma_binary_impl,
    executable = True,
    doc = """A NOMA program compiled into a standalone executable (`noma build-exe`).

The executable runs the whole program, training included, when it starts; it needs only libc
and libm. `bazel run //pkg:name -- --seed 3` passes run options (`--seed N`, `--check-nan`,
`--max-alloc BYTES`, `--metrics FILE`, `--progress`) to it; `args` sets default ones. Under
`bazel run` the working directory is the runfiles tree, where the files of `data` are at their
workspace-relative paths; a relative `--metrics` file goes where the command was typed.

Example:

    noma_binary(
        name = "train",
        src = "train.noma",
        opts = ["-O3"],
        data = ["data/points.csv"],
    )
""",
    attrs = dict(_build_exe_attrs(), **{
        "src": attr.label(
            mandatory = True,
            allow_single_file = [".noma"],
            doc = "The program (a .noma file with `fn main()`).",
        ),
        "opts": attr.string_list(
            doc = "Options of `noma build-exe`, e.g. `-O3`, `--fast-math`, " +
                  "`--target-cpu x86-64-v3` (default: -O2 for the portable x86-64 baseline).",
        ),
        "data": attr.label_list(
            allow_files = True,
            doc = "Files the program reads at run time (runfiles of the executable).",
        ),
    }),
)

# ---------------------------------------------------------------------------------------------
# noma_library

def _noma_library_compile_impl(ctx):
    what = "noma_library %s" % ctx.label
    _check_opts(what, ctx.attr.opts)
    namespace = ctx.attr.namespace
    if not _is_c_identifier(namespace):
        fail("%s: namespace '%s' is not a C++ identifier; set namespace = \"...\"" %
             (what, namespace))
    args = ctx.actions.args()
    args.add("compile")
    args.add(ctx.file.src)
    args.add("--library=" + namespace)
    args.add("--header=" + ctx.outputs.header.path)
    args.add("--emit=obj")
    args.add("-o", ctx.outputs.object)
    args.add_all(ctx.attr.opts)
    ctx.actions.run(
        executable = ctx.executable._noma_exec,
        arguments = [args],
        inputs = [ctx.file.src],
        outputs = [ctx.outputs.object, ctx.outputs.header],
        mnemonic = "NomaCompileLibrary",
        progress_message = "Compiling NOMA library %s (namespace %s)" %
                           (ctx.file.src.short_path, namespace),
    )
    return [DefaultInfo(files = depset([ctx.outputs.header, ctx.outputs.object]))]

_noma_library_compile = rule(
    implementation = _noma_library_compile_impl,
    doc = "`noma compile --library`: the object and the C++ header of a noma_library.",
    attrs = {
        "src": attr.label(mandatory = True, allow_single_file = [".noma"]),
        "namespace": attr.string(mandatory = True),
        "opts": attr.string_list(),
        "header": attr.output(mandatory = True),
        "object": attr.output(mandatory = True),
        "_noma_exec": attr.label(
            default = _NOMA,
            executable = True,
            cfg = "exec",
        ),
    },
)

def noma_library(
        name,
        src,
        namespace = None,
        opts = [],
        deps = [],
        visibility = None,
        testonly = None,
        tags = [],
        **kwargs):
    """Compiles every function of a NOMA program ahead of time into a `cc_library`.

    Like TensorFlow's `tf_library`: C++ code calls the compiled functions on its own tensors.
    The target `name` is a cc_library with the header `NAME.h` in this package (include it as
    `"PKG/NAME.h"`) and one object file. The header (generated by
    `noma compile --library=NAMESPACE --header=...`, and documented at its top) declares, in
    `namespace NAMESPACE`:

      - `struct Tensor { std::vector<int64_t> shape; std::vector<double> data; }`: a dense
        row-major f64 tensor; an empty shape is a scalar (`Tensor::Scalar(2.5)`);
      - `absl::StatusOr<Tensor> f(const Tensor& a, ...)` for every `fn f(a, ...)` of the
        program: results are new tensors, a run-time error of the program is an error status
        whose message is the located diagnostic `noma run` would print;
      - `absl::StatusOr<Tensor> main()`: runs the program's `main`, training included, and
        returns what `main` returns (for example the trained parameters, which can then be
        passed to the other functions).

    The program's state (its random generator) is process-wide: calls must not run
    concurrently. Each function also has a C entry point `NAMESPACE_f`, so two libraries
    linked into one binary need different namespaces.

    Generated targets: `NAME` (the cc_library), `NAME_noma_compile` (the compile step), the
    files `NAME.h` and `NAME.o`.

    Args:
      name: the cc_library's name; also the default namespace.
      src: the program (a .noma file).
      namespace: the C++ namespace and prefix of the C entry points (default: `name`, which
        must then be a C identifier).
      opts: options of `noma compile`: `-O0`..`-O3`, `--fast-math`, `--target-cpu CPU`.
      deps: further dependencies of the cc_library.
      visibility: visibility of the cc_library (the compile step and files are private).
      testonly: as for any rule.
      tags: tags of both generated targets.
      **kwargs: further cc_library attributes (e.g. `include_prefix`, `strip_include_prefix`,
        `linkstatic`, `alwayslink`).
    """
    compile_name = name + "_noma_compile"
    header = name + ".h"
    obj = name + ".o"
    _noma_library_compile(
        name = compile_name,
        src = src,
        namespace = namespace if namespace != None else name,
        opts = opts,
        header = header,
        object = obj,
        testonly = testonly,
        tags = tags,
        visibility = ["//visibility:private"],
    )
    native.cc_library(
        name = name,
        srcs = [obj],
        hdrs = [header],
        deps = deps + [
            _PROGRAM_RUNTIME,
            _ABSL,
        ],
        testonly = testonly,
        tags = tags,
        visibility = visibility,
        **kwargs
    )

# ---------------------------------------------------------------------------------------------
# noma_test

_MODES = ["run", "fast-run", "exe"]

def _noma_test_impl(ctx):
    what = "noma_test %s" % ctx.label
    mode = ctx.attr.mode
    if mode not in _MODES:
        fail("%s: mode must be one of %s, not '%s'" % (what, ", ".join(_MODES), mode))
    _check_opts(what, ctx.attr.build_opts)
    src = ctx.file.src

    if ctx.file.expected_stdout_file:
        expected = ctx.file.expected_stdout_file
    else:
        expected = ctx.actions.declare_file(ctx.label.name + ".expected_stdout")
        ctx.actions.write(expected, ctx.attr.expected_stdout)

    runfiles = _data_runfiles(ctx).merge(ctx.runfiles(files = [src, expected]))
    noma = ""
    exe = ""
    if mode == "exe":
        executable = ctx.actions.declare_file(ctx.label.name + ".exe")
        _build_exe(ctx, src, executable, ctx.attr.build_opts)
        exe = executable.short_path
        runfiles = runfiles.merge(ctx.runfiles(files = [executable]))
    else:
        if ctx.attr.build_opts:
            fail("%s: build_opts are for mode = \"exe\"" % what)
        noma = ctx.executable._noma.short_path
        runfiles = runfiles.merge(ctx.attr._noma[DefaultInfo].default_runfiles)

    # The program and the data files, copied into a fresh working directory at these paths.
    copies = []
    for file in [src] + ctx.files.data:
        copies += [_shell_quote(file.short_path), _shell_quote(_work_path(file))]

    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.expand_template(
        template = ctx.file._template,
        output = script,
        substitutions = {
            "%{label}": _shell_quote(str(ctx.label)),
            "%{workspace}": _shell_quote(ctx.workspace_name),
            "%{mode}": _shell_quote(mode),
            "%{noma}": _shell_quote(noma),
            "%{exe}": _shell_quote(exe),
            "%{program}": _shell_quote(_work_path(src)),
            "%{expected}": _shell_quote(expected.short_path),
            "%{exit_code}": str(ctx.attr.exit_code),
            "%{opts}": " ".join([_shell_quote(o) for o in ctx.attr.opts]),
            "%{files}": " ".join(copies),
        },
        is_executable = True,
    )
    return [DefaultInfo(executable = script, runfiles = runfiles)]

_noma_test = rule(
    implementation = _noma_test_impl,
    test = True,
    doc = "The rule behind the noma_test macro.",
    attrs = dict(_build_exe_attrs(), **{
        "src": attr.label(mandatory = True, allow_single_file = [".noma"]),
        "expected_stdout": attr.string(),
        "expected_stdout_file": attr.label(allow_single_file = True),
        "exit_code": attr.int(default = 0),
        "mode": attr.string(default = "run"),
        "opts": attr.string_list(),
        "build_opts": attr.string_list(),
        "data": attr.label_list(allow_files = True),
        # `noma run` / `noma fast-run` run on the test machine: target configuration.
        "_noma": attr.label(
            default = _NOMA,
            executable = True,
            cfg = "target",
        ),
        # `noma build-exe` (mode = "exe") runs at build time: exec configuration.
        "_template": attr.label(
            default = _TEST_TEMPLATE,
            allow_single_file = True,
        ),
    }),
)

def noma_test(
        name,
        src,
        expected_stdout = None,
        expected_stdout_file = None,
        exit_code = 0,
        mode = "run",
        opts = [],
        build_opts = [],
        data = [],
        **kwargs):
    """Runs a NOMA program and compares its standard output with the expected output.

    The test passes when the program's stdout is byte for byte the expected output and its exit
    status is `exit_code`; otherwise it prints a unified diff (expected vs. actual) and the
    statuses, and fails. stderr is not compared (it is shown in the test log).

    The program runs in a fresh scratch directory holding copies of the program and of the
    `data` files at their workspace-relative paths (files of other repositories under
    `external/REPO/`), so it reads `pkg/points.csv` as in `noma run` from the workspace root,
    and what it writes never lands in the source or runfiles tree.

    Example:

        noma_test(
            name = "linear_regression_test",
            src = "linear_regression.noma",
            expected_stdout = "trained:\\n2\\n1\\n1\\n",
        )

    Args:
      name: the test's name.
      src: the program (a .noma file).
      expected_stdout: the expected stdout as a string (each `print` ends a line with "\\n").
      expected_stdout_file: or a file holding it. Give exactly one of the two.
      exit_code: the expected exit status (default 0; 1 for a run-time error).
      mode: how the program runs: "run" (the interpreter, `noma run`; default), "fast-run"
        (the LLVM JIT, `noma fast-run`) or "exe" (compiled with `noma build-exe` at build
        time, the executable runs in the test).
      opts: run options: `--seed N`, `--check-nan`, `--max-alloc BYTES` (all modes).
      build_opts: `noma build-exe` options for mode = "exe" (e.g. `-O3`).
      data: files the program reads.
      **kwargs: further test attributes (size, timeout, tags, flaky, ...).
    """
    if (expected_stdout == None) == (expected_stdout_file == None):
        fail("noma_test %s: give exactly one of expected_stdout and expected_stdout_file" % name)
    _noma_test(
        name = name,
        src = src,
        expected_stdout = expected_stdout if expected_stdout != None else "",
        expected_stdout_file = expected_stdout_file,
        exit_code = exit_code,
        mode = mode,
        opts = opts,
        build_opts = build_opts,
        data = data,
        **kwargs
    )
