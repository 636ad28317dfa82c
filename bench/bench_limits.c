/*
 * bench_limits - what this machine can do at best, the ceilings that
 * wicketd's SendSSHPublicKey figure is compared with (issue 14):
 *
 *   fsync/s        write of a small record + fdatasync, in a loop, in DIR
 *                  (the data dir's disk: one durable commit per call is
 *                  what an audit without group commit pays)
 *   SigV4 chains/s the signing-key derivation (kDate, kRegion, kService,
 *                  kSigning) + the final HMAC over a string to sign, as a
 *                  server verifying a fresh request does, on one core
 *   Ed25519 sign/s libsodium signatures of a record-sized message, as
 *                  wicketd signs records, on one core
 *
 *   bench_limits DIR [SECONDS]     (SECONDS per measurement, default 2)
 */
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "common/buf.h"

static uint64_t
fsyncs(const char *dir, uint64_t ns)
{
	char path[4096], rec[128];
	uint64_t t0, n = 0;
	off_t off = 0;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/bench_limits.XXXXXX",
	    dir) >= sizeof(path) || (fd = mkstemp(path)) < 0) {
		fprintf(stderr, "bench_limits: cannot create a file in %s\n",
		    dir);
		exit(1);
	}
	unlink(path);
	memset(rec, 'r', sizeof(rec));
	t0 = bench_now_ns();
	while (bench_now_ns() - t0 < ns) {
		if (pwrite(fd, rec, sizeof(rec), off) != (ssize_t)sizeof(rec) ||
		    fdatasync(fd) != 0) {
			fprintf(stderr, "bench_limits: write/fdatasync failed\n");
			exit(1);
		}
		off += (off_t)sizeof(rec);
		n++;
	}
	close(fd);
	return n * 1000000000u / (bench_now_ns() - t0);
}

static void
hmac(const uint8_t *key, size_t klen, const void *msg, size_t mlen,
    uint8_t out[32])
{
	unsigned int olen = 32;

	if (HMAC(EVP_sha256(), key, (int)klen, msg, mlen, out, &olen) == NULL) {
		fprintf(stderr, "bench_limits: HMAC failed\n");
		exit(1);
	}
}

static uint64_t
sigv4_chains(uint64_t ns)
{
	static const char sts[] = "AWS4-HMAC-SHA256\n20261205T080000Z\n"
	    "20261205/us-east-1/ec2-instance-connect/aws4_request\n"
	    "5f3c1e0a8b7d6c4e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e";
	char secret[4 + 40 + 1] = "AWS4wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
	uint8_t k[32], sig[32];
	uint64_t t0, n = 0, acc = 0;

	t0 = bench_now_ns();
	while (bench_now_ns() - t0 < ns) {
		int i;

		for (i = 0; i < 256; i++) {
			secret[5] = (char)('A' + (n & 15));	/* a new key */
			hmac((const uint8_t *)secret, strlen(secret),
			    "20261205", 8, k);
			hmac(k, 32, "us-east-1", 9, k);
			hmac(k, 32, "ec2-instance-connect", 20, k);
			hmac(k, 32, "aws4_request", 12, k);
			hmac(k, 32, sts, sizeof(sts) - 1, sig);
			acc += sig[0];
			n++;
		}
	}
	if (acc == 1)	/* keeps the work observable */
		fputc(' ', stderr);
	return n * 1000000000u / (bench_now_ns() - t0);
}

static uint64_t
ed25519_signs(uint64_t ns)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	uint8_t msg[400], sig[crypto_sign_BYTES];
	uint64_t t0, n = 0;

	crypto_sign_keypair(pk, sk);
	randombytes_buf(msg, sizeof(msg));
	t0 = bench_now_ns();
	while (bench_now_ns() - t0 < ns) {
		int i;

		for (i = 0; i < 64; i++) {
			msg[0] = (uint8_t)n;
			crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk);
			n++;
		}
	}
	sodium_memzero(sk, sizeof(sk));
	return n * 1000000000u / (bench_now_ns() - t0);
}

int
main(int argc, char **argv)
{
	uint64_t secs = 2, ns;

	if (argc < 2 || argc > 3 || (argc == 3 &&
	    (wk_cstr_to_u64(argv[2], 600, &secs) != 0 || secs == 0))) {
		fprintf(stderr, "usage: bench_limits DIR [SECONDS]\n"
		    "  DIR: a directory on the disk to measure (wicketd's data "
		    "dir's disk)\n  SECONDS: per measurement, 1..600 "
		    "(default 2)\n");
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	ns = secs * 1000000000u;
	printf("limits: fsync/s=%llu\n", (unsigned long long)fsyncs(argv[1], ns));
	printf("limits: sigv4_chains/s=%llu\n",
	    (unsigned long long)sigv4_chains(ns));
	printf("limits: ed25519_signs/s=%llu\n",
	    (unsigned long long)ed25519_signs(ns));
	return 0;
}
