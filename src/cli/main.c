/* auralith-pipeline: placeholder dispatcher, replaced by the CLI module. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--version") == 0) {
    printf("auralith-pipeline %s\n", AURALITH_VERSION);
    return 0;
  }
  fprintf(stderr, "usage: auralith-pipeline COMMAND [OPTIONS]\n");
  return 2;
}
