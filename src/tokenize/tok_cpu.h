/* CPU features the encoder's hot loops are compiled for twice: once for any x86-64 (or
 * other) CPU, once with AVX2, BMI1/2, LZCNT and POPCNT (the x86-64-v3 level, every x86
 * CPU since 2013-2015), chosen at run time. The v3 build is the same C: the compiler
 * turns the bit scans and shifts into single instructions (tzcnt, shrx, blsr), which
 * cachegrind counted as 4% fewer instructions over 3 passes of 8 MB of prose. */
#ifndef AL_TOKENIZE_TOK_CPU_H
#define AL_TOKENIZE_TOK_CPU_H

#include <stdbool.h>

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define TOK_X86 1
#define TOK_TARGET_V3 __attribute__((target("avx2,bmi,bmi2,lzcnt,popcnt,fma")))
#else
#define TOK_X86 0
#define TOK_TARGET_V3
#endif

/* Whether this CPU has SSE4.1 / the v3 features. Cheap after the first call. */
bool tok_cpu_has_sse41(void);
bool tok_cpu_has_v3(void);

#endif
