"""End-to-end tests: one sh_test per .noma program (see docs/testing.md).

Each test runs //tests:run_e2e.sh on the program: every execution mode listed in run_e2e.sh,
each run checked against the program's `// CHECK:` / `// CHECK-ERR:` / `// EXIT:` comments by
//tools/filecheck:noma_filecheck, and all modes required to agree.
"""

def noma_e2e_tests(srcs, data = [], size = "small", train_size = "small", sizes = {}, tags = [], suite = "e2e"):
    """One sh_test per program, named after the file (`tests/foo.noma` -> `:foo`).

    Args:
      srcs: the .noma programs (usually `glob(["*.noma"])`).
      data: files every program may read; each run's working directory has them at their
        workspace-relative path (e.g. `tests/data/x.csv`), and `data/` points at the package's
        `data/` directory.
      size: the test size of ordinary programs.
      train_size: the test size of programs named `train_*` (training loops take longer).
      sizes: test name -> size, for programs that need more time than their kind.
      tags: tags for every test.
      suite: name of a test_suite holding all of them ("" for none).
    """
    names = []
    for src in srcs:
        if not src.endswith(".noma"):
            fail("noma_e2e_tests: %s is not a .noma file" % src)
        name = src[:-len(".noma")].replace("/", "_")
        names.append(name)
        native.sh_test(
            name = name,
            size = sizes.get(name, train_size if name.startswith("train_") else size),
            srcs = ["//tests:run_e2e.sh"],
            args = ["$(location %s)" % src] + ["$(location %s)" % d for d in data],
            data = [
                src,
                "//tools:noma",
                "//tools/filecheck:noma_filecheck",
            ] + data,
            tags = tags,
        )
    if suite and names:  # (An empty `tests` would mean every test of the package.)
        native.test_suite(
            name = suite,
            tests = [":" + n for n in names],
        )
