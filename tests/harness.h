/* Minimal test harness. Each test file is its own executable (and ctest entry with a
 * timeout). CHECK* macros record a failure with file:line and the values compared and
 * carry on; the process exits non-zero if any check failed.
 *
 *   static void test_x(void) { CHECK_EQ_INT(1 + 1, 2); }
 *   int main(void) { RUN(test_x); return TEST_REPORT(); }
 */
#ifndef AL_TEST_HARNESS_H
#define AL_TEST_HARNESS_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

extern int al_test_failures;
extern int al_test_checks;
extern const char *al_test_current;

#define CHECK(cond)                                                                   \
  do {                                                                                \
    al_test_checks++;                                                                 \
    if (!(cond)) {                                                                    \
      al_test_failures++;                                                             \
      fprintf(stderr, "%s:%d: [%s] CHECK failed: %s\n", __FILE__, __LINE__,          \
              al_test_current, #cond);                                                \
    }                                                                                 \
  } while (0)

#define CHECK_MSG(cond, ...)                                                          \
  do {                                                                                \
    al_test_checks++;                                                                 \
    if (!(cond)) {                                                                    \
      al_test_failures++;                                                             \
      fprintf(stderr, "%s:%d: [%s] CHECK failed: %s: ", __FILE__, __LINE__,          \
              al_test_current, #cond);                                                \
      fprintf(stderr, __VA_ARGS__);                                                   \
      fputc('\n', stderr);                                                            \
    }                                                                                 \
  } while (0)

#define CHECK_EQ_INT(a, b)                                                            \
  do {                                                                                \
    long long _a = (long long)(a), _b = (long long)(b);                               \
    al_test_checks++;                                                                 \
    if (_a != _b) {                                                                   \
      al_test_failures++;                                                             \
      fprintf(stderr, "%s:%d: [%s] %s == %s failed: %lld != %lld\n", __FILE__,       \
              __LINE__, al_test_current, #a, #b, _a, _b);                             \
    }                                                                                 \
  } while (0)

#define CHECK_EQ_STR(a, b)                                                            \
  do {                                                                                \
    const char *_a = (a), *_b = (b);                                                  \
    al_test_checks++;                                                                 \
    if (!_a || !_b || strcmp(_a, _b) != 0) {                                          \
      al_test_failures++;                                                             \
      fprintf(stderr, "%s:%d: [%s] %s == %s failed: \"%s\" != \"%s\"\n", __FILE__,   \
              __LINE__, al_test_current, #a, #b, _a ? _a : "(null)",                  \
              _b ? _b : "(null)");                                                    \
    }                                                                                 \
  } while (0)

/* hay contains needle */
#define CHECK_CONTAINS(hay, needle)                                                   \
  do {                                                                                \
    const char *_h = (hay), *_n = (needle);                                           \
    al_test_checks++;                                                                 \
    if (!_h || !_n || !strstr(_h, _n)) {                                              \
      al_test_failures++;                                                             \
      fprintf(stderr, "%s:%d: [%s] expected \"%s\" to contain \"%s\"\n", __FILE__,   \
              __LINE__, al_test_current, _h ? _h : "(null)", _n ? _n : "(null)");     \
    }                                                                                 \
  } while (0)

#define RUN(fn)                                                                       \
  do {                                                                                \
    al_test_current = #fn;                                                            \
    int _before = al_test_failures;                                                   \
    fn();                                                                             \
    fprintf(stderr, "%s %s\n", al_test_failures == _before ? "ok  " : "FAIL", #fn);   \
  } while (0)

#define TEST_REPORT() al_test_report()
int al_test_report(void);

#endif
