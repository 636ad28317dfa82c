/*
 * fuzz_cred_process.c - the two parsers of credential_process
 * (cli/cred_process.c): the command-line splitter and the JSON reader of
 * the process's output. The first byte picks the parser. No crash, no
 * leak; the splitter's words hold no NUL and never outnumber the limit;
 * the JSON reader fills the keys only on success.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cli/aws_config.h"
#include "common/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wk_aws_config cfg;
	struct wk_buf msg;
	char **argv = NULL;
	size_t argc = 0, i;
	int r;

	if (size == 0)
		return 0;
	wk_buf_init(&msg, 16384);
	if (data[0] & 1) {
		r = wk_cred_process_split(wk_span_from_mem(data + 1, size - 1),
		    &argv, &argc, &msg);
		if (r == 0) {
			if (argc == 0 || argc > WK_CRED_PROCESS_MAX_ARGS ||
			    argv[argc] != NULL)
				__builtin_trap();
			for (i = 0; i < argc; i++) {
				if (strlen(argv[i]) > size)
					__builtin_trap();
			}
		} else if (argv != NULL || msg.len == 0) {
			__builtin_trap();
		}
		wk_cred_process_argv_free(argv);
	} else {
		memset(&cfg, 0, sizeof(cfg));
		r = wk_cred_process_parse(wk_span_from_mem(data + 1, size - 1),
		    1700000000, &cfg, &msg);
		if (r == 0 && (cfg.access_key_id == NULL ||
		    cfg.secret_access_key == NULL))
			__builtin_trap();
		if (r != 0 && (cfg.access_key_id != NULL ||
		    cfg.secret_access_key != NULL || msg.len == 0))
			__builtin_trap();
		wk_aws_config_cleanup(&cfg);
	}
	wk_buf_cleanup(&msg);
	return 0;
}
