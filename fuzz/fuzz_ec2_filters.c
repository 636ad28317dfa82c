/*
 * fuzz_ec2_filters.c - DescribeInstances' Filter.N parser and matcher
 * (ec2_filters.c): any Query form body must parse or be refused with a
 * message, never crash, leak or run away; what parses stays within the
 * bounds (filters, values, lengths) and is matched against an instance and
 * digested like a request's filters.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/api/api.h"
#include "server/ec2/ec2.h"
/*
 * The libraries of a WK_FUZZ build carry no coverage instrumentation
 * (only this file gets -fsanitize=fuzzer), so the code under test is
 * compiled in here; the linker then takes none of ec2_filters.o.
 */
#include "../src/server/ec2/ec2_filters.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct wk_tag tags[2] = {
		{ "Team", "red" }, { "Name", "web-1" },
	};
	struct wk_ec2_instance_fields in = {
		.instance_id = "i-0123456789abcdef0", .state_name = "running",
		.state_code = 16, .private_ip = "10.0.0.1", .ip = "10.0.0.1",
		.private_dns_name = "web-1.example", .dns_name = "web-1.example",
		.az = "us-east-1a", .tags = tags, .ntags = 2,
	};
	struct wk_params p;
	struct wk_ec2_filters f;
	uint8_t digest[32];
	char why[256];
	int r;

	if (size > 256 * 1024)
		return 0;
	if (wk_params_parse(wk_span_from_mem(data, size), WK_PARAMS_MAX_COUNT,
	    &p, NULL, 0) != 0)
		return 0;
	why[0] = 'x';
	r = wk_ec2_filters_parse(&p, &f, why, sizeof(why));
	if (r == 0) {
		if (f.n > WK_EC2_FILTERS_MAX)
			abort();
		for (size_t i = 0; i < f.n; i++) {
			if (f.v[i].nvalues == 0 ||
			    f.v[i].nvalues > WK_EC2_FILTER_VALUES_MAX)
				abort();
			for (size_t j = 0; j < f.v[i].nvalues; j++)
				if (strlen(f.v[i].values[j]) >
				    WK_EC2_FILTER_VALUE_MAX)
					abort();
		}
		(void)wk_ec2_filters_match(&f, &in);
		(void)wk_ec2_filters_digest(&f, digest);
		wk_ec2_filters_free(&f);
	} else if (f.n != 0 || f.v != NULL ||
	    (r == WK_ERR_INVAL && why[0] == '\0')) {
		abort();
	}
	/* every parameter's value as a pattern against every other's */
	for (size_t i = 0; i < p.n && i < 8; i++)
		for (size_t j = 0; j < p.n && j < 8; j++)
			(void)wk_ec2_wildcard_match(p.v[i].value,
			    p.v[j].value);
	wk_params_free(&p);
	return 0;
}
