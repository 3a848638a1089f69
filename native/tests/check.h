/* The native tests' one assertion, for C and C++: CHECK(cond, printf-style message) counts a
 * pass, or prints the failure with its place and carries on, so one run shows every broken
 * case. check_summary() prints the counts and returns main's exit status. */
#ifndef NUDEGUARD_TESTS_CHECK_H
#define NUDEGUARD_TESTS_CHECK_H

#include <stdio.h>

static int check_passed, check_failed;

#define CHECK(cond, ...)                          \
  do {                                            \
    if (cond) {                                   \
      ++check_passed;                             \
    } else {                                      \
      ++check_failed;                             \
      printf("FAIL %s:%d: ", __FILE__, __LINE__); \
      printf(__VA_ARGS__);                        \
      printf("\n");                               \
    }                                             \
  } while (0)

static int check_summary(const char* test, const char* detail) {
  printf("%s: %d passed, %d failed (%s)\n", test, check_passed, check_failed, detail);
  return check_failed != 0;
}

#endif
