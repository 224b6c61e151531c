/* Counts the containers moved through each berth from a whitespace separated log. */
#include <stdio.h>

int main(void) {
  int berth, moved, totals[8] = {0};
  while (scanf("%d %d", &berth, &moved) == 2) {
    if (berth >= 0 && berth < 8) totals[berth] += moved;
  }
  for (int i = 0; i < 8; i++) printf("berth %d: %d\n", i, totals[i]);
  return 0;
}
