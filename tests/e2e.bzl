"""One sh_test per end-to-end .noma program (see docs/testing.md)."""

def noma_e2e_tests(srcs, data = []):
    for src in srcs:
        name = src[:-len(".noma")].replace("/", "_")
        native.sh_test(
            name = name,
            size = "small",
            srcs = ["//tests:run_e2e.sh"],
            args = [
                "$(location //tools:noma)",
                "$(location //tools/filecheck:noma_filecheck)",
                "$(location %s)" % src,
            ] + ["$(location %s)" % d for d in data],
            data = [
                src,
                "//tools:noma",
                "//tools/filecheck:noma_filecheck",
            ] + data,
        )
