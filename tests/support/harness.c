#include "harness.h"

int al_test_failures = 0;
int al_test_checks = 0;
const char *al_test_current = "";

int al_test_report(void) {
  fprintf(stderr, "%d checks, %d failed\n", al_test_checks, al_test_failures);
  return al_test_failures ? 1 : 0;
}
