#include "noma/runtime/stack.h"

#include <pthread.h>

namespace noma::runtime {

bool RunWithStack(size_t stack_bytes, void* (*function)(void*), void* arg) {
  pthread_attr_t attr;
  pthread_t thread;
  bool started = pthread_attr_init(&attr) == 0 &&
                 pthread_attr_setstacksize(&attr, stack_bytes) == 0 &&
                 pthread_create(&thread, &attr, function, arg) == 0;
  pthread_attr_destroy(&attr);
  if (started) pthread_join(thread, nullptr);
  return started;
}

}  // namespace noma::runtime
