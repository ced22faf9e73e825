#ifndef NOMA_RUNTIME_STACK_H_
#define NOMA_RUNTIME_STACK_H_

#include <cstddef>

namespace noma::runtime {

// Runs `function(arg)` on a new thread with a `stack_bytes` stack (only the pages touched are
// committed) and waits for it: deep recursion in a NOMA program is deep native recursion in
// every executor. Returns false, without running anything, when the thread cannot be created.
bool RunWithStack(size_t stack_bytes, void* (*function)(void*), void* arg);

}  // namespace noma::runtime

#endif  // NOMA_RUNTIME_STACK_H_
