"""One pre-linked static archive of a program runtime, for standalone executables."""

def program_archive(name, srcs, out, roots = "noma_p_", visibility = None):
    """Pre-links `srcs` (cc_library targets and static archives) into `out`.

    Everything an executable links besides libc and libm (the libraries, Abseil, libstdc++ and
    libgcc) becomes one object (`ld -r --gc-sections`, rooted at the symbols starting with one
    of the space-separated prefixes in `roots`), stored in a one-member archive: linking one
    small object instead of scanning the archives halves the link time of an executable.
    """
    native.genrule(
        name = name,
        srcs = srcs,
        outs = [out],
        cmd = """
            set -e
            tmp=$$(mktemp -d)
            echo "create $$tmp/all.a" > $$tmp/script
            for f in $(SRCS); do
              case $$f in
                *.pic.a | *.pic.lo) ;;
                *.a | *.lo) echo "addlib $$f" >> $$tmp/script ;;
              esac
            done
            echo save >> $$tmp/script
            echo end >> $$tmp/script
            ar -M < $$tmp/script
            roots=""
            for prefix in %s; do
              roots="$$roots $$(nm -g --defined-only $$tmp/all.a 2>/dev/null |
                       awk -v p="$$prefix" 'index($$3, p) == 1 {print "-u " $$3}' | sort -u)"
            done
            ld -r --gc-sections $$roots -o $$tmp/noma_program.o $$tmp/all.a \\
              $$(g++ -print-file-name=libstdc++.a) $$(g++ -print-file-name=libgcc.a) \\
              $$(g++ -print-file-name=libgcc_eh.a)
            rm -f $@
            ar rcsD $@ $$tmp/noma_program.o
            rm -rf $$tmp
        """ % roots,
        visibility = visibility,
    )
