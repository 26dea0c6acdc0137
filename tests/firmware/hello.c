/* newlib through rdimon semihosting: stdio to the debugger's console, string routines (newlib's
 * DSP versions on ARMv7E-M), malloc, the command line, floating-point formatting, and the exit
 * status. Built with --specs=rdimon.specs -DUSE_RDIMON, for the Cortex-M7 and the Cortex-M4,
 * soft- and hard-float. The test checks every line and GDB's report of exit code 3. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Kept out of constant folding: the library routines must really run. */
static volatile const char *volatile words[] = {"alpha", "beta", "gamma"};
volatile double half_pi = 1.5707963267948966;
volatile float tenth = 0.1f;

int main(int argc, char **argv)
{
    printf("hello from newlib\n");
    puts("puts works");
    fprintf(stderr, "to stderr\n");
    printf("strlen=%u\n", (unsigned)strlen((const char *)words[2]));
    printf("strcmp=%d\n", strcmp((const char *)words[0], (const char *)words[1]) < 0 ? -1 : 1);
    const char *haystack = "find the needle";
    const char *found = memchr(haystack, 'n', strlen(haystack));
    printf("memchr=%d\n", found ? (int)(found - haystack) : -1);
    char *copy = malloc(64);
    if (copy == NULL) {
        printf("malloc failed\n");
        return 1;
    }
    strcpy(copy, "heap copy");
    printf("malloc=%s\n", copy);
    free(copy);
    printf("argc=%d", argc);
    for (int i = 0; i < argc; i++) {
        printf(" argv[%d]=%s", i, argv[i]);
    }
    printf("\n");
    printf("double=%.6f float=%.3f sum=%g\n", half_pi, (double)tenth, half_pi * 2 + tenth);
    fflush(stdout);
    exit(3);
}
