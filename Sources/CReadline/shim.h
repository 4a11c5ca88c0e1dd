#ifndef LIMITLESS_CREADLINE_SHIM_H
#define LIMITLESS_CREADLINE_SHIM_H
#include <stdio.h>
#include <readline/readline.h>
#include <readline/history.h>
#include <sys/ioctl.h>
#include <unistd.h>

// Swift 6 rejects assigning readline's global function pointers directly
// (they are shared mutable state); set them through these.
typedef char **(*limitless_completion_fn)(const char *, int, int);
static inline void limitless_rl_set_completion(limitless_completion_fn fn) {
    rl_attempted_completion_function = fn;
}
static inline void limitless_rl_set_name(const char *name) {
    rl_readline_name = name;
}

// Interactive shell support (Sources/LimitlessCLI/Shell): the callback interface, signal
// handling left to the caller, and the completion context.
static inline void limitless_rl_set_catch_signals(int on) {
    rl_catch_signals = on;
}
static inline const char *limitless_rl_line_buffer(void) {
    return rl_line_buffer;
}
static inline int limitless_rl_point(void) {
    return rl_point;
}
static inline void limitless_rl_set_completion_over(int over) {
    rl_attempted_completion_over = over;
}
static inline void limitless_rl_set_word_breaks(const char *chars) {
    rl_completer_word_break_characters = (char *)chars;
}
static inline void limitless_rl_set_append_character(int c) {
    rl_completion_append_character = c;
}
// Forgets the line being typed after Ctrl-C in callback mode and restores the terminal.
static inline void limitless_rl_cancel_line(void) {
    rl_free_line_state();
    rl_callback_sigcleanup();
    rl_cleanup_after_signal();
    rl_replace_line("", 0);
    rl_point = 0;
    rl_end = 0;
    rl_mark = 0;
}
typedef void (*limitless_line_fn)(char *);
static inline void limitless_rl_install(const char *prompt, limitless_line_fn fn) {
    rl_callback_handler_install(prompt, fn);
}
// The terminal's rows and columns on fd (0 when it is not a terminal).
static inline void limitless_terminal_size(int fd, int *rows, int *cols) {
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0) { *rows = ws.ws_row; *cols = ws.ws_col; }
    else { *rows = 0; *cols = 0; }
}
static inline void limitless_rl_set_instream(FILE *in) {
    rl_instream = in;
}
#endif
