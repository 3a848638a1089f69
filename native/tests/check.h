/* The native tests' one assertion, for C and C++: CHECK(cond, printf-style message) counts a
 * pass, or prints the failure with its place and carries on, so one run shows every broken
 * case. check_summary() prints the counts and returns main's exit status. */
#ifndef NUDEGUARD_TESTS_CHECK_H
#define NUDEGUARD_TESTS_CHECK_H

#include <stdarg.h>
#include <stdio.h>

static int check_passed, check_failed;

static int check_pass(int ok) {
  if (ok) ++check_passed;
  return ok;
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void check_fail(const char* file, int line, const char* format, ...) {
  va_list args;
  ++check_failed;
  printf("FAIL %s:%d: ", file, line);
  va_start(args, format);
  vprintf(format, args);
  va_end(args);
  printf("\n");
}

/* The message's arguments are evaluated only after cond, and only when it fails (they often
 * read state that cond's call sets, such as ng_error_string). */
#define CHECK(cond, ...) (check_pass((cond) ? 1 : 0) ? (void)0 : check_fail(__FILE__, __LINE__, __VA_ARGS__))

static int check_summary(const char* test, const char* detail) {
  printf("%s: %d passed, %d failed (%s)\n", test, check_passed, check_failed, detail);
  return check_failed != 0;
}

#endif
