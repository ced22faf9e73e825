"""The Abseil libraries NOMA links (Debian's libabsl-dev, LTS 20220623), in link order."""

ABSL_LIBS = [
    "status", "statusor", "strings", "strings_internal", "str_format_internal", "cord",
    "cord_internal", "cordz_functions", "cordz_handle", "cordz_info", "int128", "hash", "city",
    "low_level_hash", "raw_hash_set", "hashtablez_sampler", "synchronization", "time", "time_zone",
    "civil_time", "stacktrace", "symbolize", "debugging_internal", "demangle_internal",
    "malloc_internal", "graphcycles_internal", "exponential_biased", "raw_logging_internal",
    "base", "spinlock_wait", "throw_delegate", "log_severity", "bad_optional_access",
    "bad_variant_access", "strerror",
]
