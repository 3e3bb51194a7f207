#pragma once

#include <pthread.h>

namespace egov::core {

// Names the calling thread (at most 15 characters), so that `top -H`, `ps -L`, perf's
// `--sort comm` and /proc/PID/task/*/comm tell the bus's threads apart. The main thread
// keeps the process's name: `pkill egovbus` and friends match on it.
inline void nameThisThread(const char* name) {
  (void)pthread_setname_np(pthread_self(), name);
}

}  // namespace egov::core
