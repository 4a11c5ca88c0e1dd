#ifndef LIMITLESS_CREADLINE_SHIM_H
#define LIMITLESS_CREADLINE_SHIM_H
#include <stdio.h>
#include <readline/readline.h>
#include <readline/history.h>

// Swift 6 rejects assigning readline's global function pointers directly
// (they are shared mutable state); set them through these.
typedef char **(*limitless_completion_fn)(const char *, int, int);
static inline void limitless_rl_set_completion(limitless_completion_fn fn) {
    rl_attempted_completion_function = fn;
}
static inline void limitless_rl_set_name(const char *name) {
    rl_readline_name = name;
}
#endif
