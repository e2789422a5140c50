/*
 * cli.h — shared pieces of the ipfs-accelerate command's subcommands.
 * The CLI uses the public C API only.
 */
#ifndef IA_CLI_CLI_H
#define IA_CLI_CLI_H

#define IA_DEFAULT_MODEL "all-MiniLM-L6-v2"

int ia_cmd_embed(int argc, char **argv);
int ia_cmd_hw(int argc, char **argv);
int ia_cmd_bench(int argc, char **argv);
int ia_cmd_results(int argc, char **argv);
int ia_cmd_report(int argc, char **argv);
int ia_cmd_quantize(int argc, char **argv);
int ia_cmd_eval(int argc, char **argv);
int ia_cmd_compare(int argc, char **argv);
int ia_cmd_generate(int argc, char **argv);
int ia_cmd_chat(int argc, char **argv);
int ia_cmd_serve(int argc, char **argv);
int ia_cmd_add(int argc, char **argv);
int ia_cmd_registry(int argc, char **argv);
int ia_cmd_get(int argc, char **argv); /* get and cat */
int ia_cmd_car(int argc, char **argv);
int ia_cmd_fetch(int argc, char **argv);

/* Prints "ipfs-accelerate: <what>: <message>" to stderr; returns 1. */
int ia_cli_fail(const char *what);

/* Parses a non-negative int option value; returns -1 on error (reported). */
int ia_cli_parse_int(const char *opt, const char *val, int lo, int hi);

/* Reads the lines of path ('-' = stdin), without line ends, into an array;
 * caller frees each line and the array. Returns 0, or 1 after reporting an
 * error as "<cmd>: ..." (nothing is returned then: a partial read must
 * not pass for the whole file). */
int ia_cli_read_lines(const char *cmd, const char *path, char ***out, size_t *n_out);

#endif
