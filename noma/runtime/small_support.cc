// What the C++ library would otherwise bring into a standalone executable for the few
// header-only containers the small runtime uses (std::string, std::vector, std::map), built
// without exceptions: their failure paths (std::__throw_*), pure virtual calls and the guards
// of function-local statics. Each prints what failed and aborts, as an uncaught exception would end
// the program; linking libstdc++'s versions would pull in exceptions, RTTI, the unwinder and
// iostreams. Only the small build of the runtime (noma/runtime/BUILD.bazel, :program_small) links
// this.
#include <pthread.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>

namespace {

[[noreturn]] void Die(const char* what, const char* detail) {
  std::fprintf(stderr, "fatal error: %s%s%s\n", what, detail != nullptr ? ": " : "",
               detail != nullptr ? detail : "");
  std::abort();
}

}  // namespace

namespace std {

void __throw_bad_alloc() { Die("out of memory", nullptr); }
void __throw_bad_array_new_length() { Die("out of memory", "bad array length"); }
void __throw_length_error(const char* what) { Die("length error", what); }
void __throw_logic_error(const char* what) { Die("logic error", what); }
void __throw_out_of_range(const char* what) { Die("out of range", what); }
void __throw_out_of_range_fmt(const char* what, ...) { Die("out of range", what); }
void __throw_invalid_argument(const char* what) { Die("invalid argument", what); }
void __throw_bad_function_call() { Die("bad function call", nullptr); }

}  // namespace std

extern "C" void __cxa_pure_virtual() { Die("pure virtual function called", nullptr); }

// Function-local statics: one process-wide recursive lock is held while any of them is being
// initialized (an initializer may initialize another); the first byte of the guard says done.
namespace {
pthread_mutex_t guard_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
}  // namespace

extern "C" int __cxa_guard_acquire(uint64_t* guard) {
  auto* done = reinterpret_cast<unsigned char*>(guard);
  if (__atomic_load_n(done, __ATOMIC_ACQUIRE) != 0) return 0;
  pthread_mutex_lock(&guard_lock);
  if (*done != 0) {
    pthread_mutex_unlock(&guard_lock);
    return 0;
  }
  return 1;
}

extern "C" void __cxa_guard_release(uint64_t* guard) {
  __atomic_store_n(reinterpret_cast<unsigned char*>(guard), 1, __ATOMIC_RELEASE);
  pthread_mutex_unlock(&guard_lock);
}

extern "C" void __cxa_guard_abort(uint64_t*) { pthread_mutex_unlock(&guard_lock); }

// std::string's members, instantiated here without exceptions: the C++ library's own
// instantiation (string-inst.o) would bring in the exception runtime and the demangler.
template class std::__cxx11::basic_string<char>;
