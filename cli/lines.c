/*
 * lines.c — reading a text file as one item per line (embed --file,
 * quantize --calibration).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "cli.h"

/* Reads the lines of path ('-' = stdin) into an array; caller frees each
 * line and the array. Returns 0, or 1 after reporting an error (nothing is
 * returned then: a partial read must not pass for the whole file). */
int ia_cli_read_lines(const char *cmd, const char *path, char ***out, size_t *n_out) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    char **lines = NULL, *line = NULL;
    size_t n = 0, cap = 0, lcap = 0;
    ssize_t len;
    int failed = 0;
    if (!f) {
        fprintf(stderr, "ipfs-accelerate: %s: cannot open %s\n", cmd, path);
        return 1;
    }
    while ((len = getline(&line, &lcap, f)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        if (n == cap) {
            char **l = realloc(lines, (cap = cap ? 2 * cap : 64) * sizeof *l);
            if (!l) {
                failed = 1;
                break;
            }
            lines = l;
        }
        if (!(lines[n] = strdup(line))) {
            failed = 1;
            break;
        }
        n++;
    }
    if (ferror(f) || !feof(f)) failed = 1; /* getline's ENOMEM sets neither flag's partner */
    free(line);
    if (f != stdin) fclose(f);
    if (failed) {
        fprintf(stderr, "ipfs-accelerate: %s: cannot read all of %s (out of memory or i/o error)\n", cmd, path);
        for (size_t i = 0; i < n; i++) free(lines[i]);
        free(lines);
        return 1;
    }
    *out = lines;
    *n_out = n;
    return 0;
}

