/* Run-time CPU feature checks (see tok_cpu.h). */
#include "tokenize/tok_cpu.h"

#if TOK_X86
#include <cpuid.h>
#endif

bool tok_cpu_has_sse41(void) {
#if TOK_X86
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.1");
#else
  return false;
#endif
}

bool tok_cpu_has_v3(void) {
#if TOK_X86
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("bmi") ||
      !__builtin_cpu_supports("bmi2") || !__builtin_cpu_supports("popcnt") ||
      !__builtin_cpu_supports("fma"))
    return false;
  unsigned a, b, c, d; /* LZCNT (ABM) is CPUID 0x80000001 ECX bit 5; the builtin lacks it */
  return __get_cpuid(0x80000001u, &a, &b, &c, &d) && (c & (1u << 5));
#else
  return false;
#endif
}
