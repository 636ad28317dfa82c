/*
 * Tests for src/agent/sshd_config.c: sshd-config output, install-sshd and
 * uninstall-sshd against a temp sshd_config.d, checked by the real
 * `/usr/sbin/sshd -t -f <temp config>` (never the machine's /etc/ssh, never
 * a reload). sshd -t needs its privilege separation directory /run/sshd,
 * which is created (empty, as systemd would) when missing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <libgen.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/agent.h"

#define HELPER "/usr/local/bin/wicket-authorized-keys"

static char base[4096], cfgdir[4200], cfg[4200], dropin[4300], bak[4300];

static void
spawn(char *const argv[])
{
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void
put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static char *
get(const char *path)
{
	static char data[65536];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return NULL;
	n = fread(data, 1, sizeof(data) - 1, f);
	data[n] = '\0';
	fclose(f);
	return data;
}

static int
setup(void **state)
{
	char self[4096], hk[4200], text[9000];
	ssize_t n;

	(void)state;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(n > 0);
	self[n] = '\0';
	snprintf(base, sizeof(base), "%s/sshd-test-XXXXXX", dirname(self));
	assert_non_null(mkdtemp(base));
	snprintf(cfgdir, sizeof(cfgdir), "%s/sshd_config.d", base);
	snprintf(cfg, sizeof(cfg), "%s/sshd_config", base);
	snprintf(hk, sizeof(hk), "%s/hostkey", base);
	snprintf(dropin, sizeof(dropin), "%s/60-wicket.conf", cfgdir);
	snprintf(bak, sizeof(bak), "%s/60-wicket.conf.wicket-bak", cfgdir);
	assert_int_equal(mkdir(cfgdir, 0755), 0);
	{
		char *argv[] = { (char *)(uintptr_t)"/usr/bin/ssh-keygen",
			(char *)(uintptr_t)"-q", (char *)(uintptr_t)"-t",
			(char *)(uintptr_t)"ed25519", (char *)(uintptr_t)"-N",
			(char *)(uintptr_t)"", (char *)(uintptr_t)"-f", hk,
			NULL };

		spawn(argv);
	}
	snprintf(text, sizeof(text), "HostKey %s\nInclude %s/*.conf\n"
	    "UsePAM no\nPidFile none\n", hk, cfgdir);
	put(cfg, text);
	if (access("/run/sshd", F_OK) != 0)
		assert_int_equal(mkdir("/run/sshd", 0755), 0);
	return 0;
}

static int
teardown(void **state)
{
	char p[4300];

	(void)state;
	unlink(dropin);
	unlink(bak);
	snprintf(p, sizeof(p), "%s/59-bad.conf", cfgdir);
	unlink(p);
	rmdir(cfgdir);
	unlink(cfg);
	snprintf(p, sizeof(p), "%s/hostkey", base);
	unlink(p);
	snprintf(p, sizeof(p), "%s/hostkey.pub", base);
	unlink(p);
	rmdir(base);
	return 0;
}

static int
install(const char *cmd, const char *state_dir)
{
	char *argv[16];
	int argc = 0;

	argv[argc++] = (char *)(uintptr_t)cmd;
	argv[argc++] = (char *)(uintptr_t)"--sshd-config-dir";
	argv[argc++] = cfgdir;
	argv[argc++] = (char *)(uintptr_t)"--sshd-test-config";
	argv[argc++] = cfg;
	argv[argc++] = (char *)(uintptr_t)"--no-reload";
	if (strcmp(cmd, "install-sshd") == 0) {
		argv[argc++] = (char *)(uintptr_t)"--user";
		argv[argc++] = (char *)(uintptr_t)"nobody";
		argv[argc++] = (char *)(uintptr_t)"--no-useradd";
		argv[argc++] = (char *)(uintptr_t)"--helper";
		argv[argc++] = (char *)(uintptr_t)HELPER;
		argv[argc++] = (char *)(uintptr_t)"--state";
		argv[argc++] = (char *)(uintptr_t)state_dir;
		/* never the machine's /etc/pam.d/sshd: one that is absent */
		argv[argc++] = (char *)(uintptr_t)"--pam-file";
		argv[argc++] = (char *)(uintptr_t)"/nonexistent/pam.d/sshd";
		argv[argc] = NULL;
		return wk_agent_cmd_install_sshd(argc, argv);
	}
	argv[argc] = NULL;
	return wk_agent_cmd_uninstall_sshd(argc, argv);
}

static void
test_sshd_config_prints(void **state)
{
	char out[4300], *text;
	char *argv[] = { (char *)(uintptr_t)"sshd-config",
		(char *)(uintptr_t)"--helper", (char *)(uintptr_t)HELPER,
		(char *)(uintptr_t)"--state", (char *)(uintptr_t)"/srv/wk",
		NULL };
	int saved, fd, rc;

	(void)state;
	snprintf(out, sizeof(out), "%s/out.txt", base);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0 && saved >= 0);
	dup2(fd, STDOUT_FILENO);
	close(fd);
	rc = wk_agent_cmd_sshd_config(5, argv);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	assert_int_equal(rc, 0);
	text = get(out);
	unlink(out);
	assert_non_null(text);
	assert_non_null(strstr(text, "\nAuthorizedKeysCommand " HELPER
	    " --state /srv/wk --socket /run/wicket/agent.sock %u %f\n"));
	assert_non_null(strstr(text, "\nAuthorizedKeysCommandUser wicket-ak\n"));
	assert_memory_equal(text, "#", 1);	/* starts with a comment */

	/* Unsafe paths and users are refused. */
	argv[4] = (char *)(uintptr_t)"/srv/w k";
	assert_int_not_equal(wk_agent_cmd_sshd_config(5, argv), 0);
	argv[4] = (char *)(uintptr_t)"relative";
	assert_int_not_equal(wk_agent_cmd_sshd_config(5, argv), 0);
	argv[3] = (char *)(uintptr_t)"--user";
	argv[4] = (char *)(uintptr_t)"bad user";
	assert_int_not_equal(wk_agent_cmd_sshd_config(5, argv), 0);
}

static void
test_install_uninstall(void **state)
{
	struct stat sb;
	char *text;
	static char first[65536];	/* as large as get() returns */

	(void)state;
	assert_int_equal(install("install-sshd", "/var/lib/wicket"), 0);
	text = get(dropin);
	assert_non_null(text);
	assert_non_null(strstr(text, "AuthorizedKeysCommand " HELPER
	    " --state /var/lib/wicket --socket /run/wicket/agent.sock %u %f\n"));
	assert_non_null(strstr(text, "AuthorizedKeysCommandUser nobody\n"));
	assert_int_equal(stat(dropin, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0644);
	snprintf(first, sizeof(first), "%s", text);
	assert_int_not_equal(access(bak, F_OK), 0);

	/* Idempotent. */
	assert_int_equal(install("install-sshd", "/var/lib/wicket"), 0);
	assert_string_equal(get(dropin), first);

	/* Ours with other settings: replaced in place, no backup. */
	assert_int_equal(install("install-sshd", "/srv/wicket"), 0);
	assert_non_null(strstr(get(dropin), "--state /srv/wicket "));
	assert_int_not_equal(access(bak, F_OK), 0);

	/* Uninstall removes it; again is harmless. */
	assert_int_equal(install("uninstall-sshd", NULL), 0);
	assert_int_not_equal(access(dropin, F_OK), 0);
	assert_int_equal(install("uninstall-sshd", NULL), 0);
}

static void
test_single_use_pam_line(void **state)
{
	static const char orig[] = "# sshd\n@include common-account\n"
	    "session required pam_permit.so\n";
	char pam[4300], marker[4300];
	static char first[65536];	/* as large as get() returns */
	char *argv[24];
	int argc = 0;

	(void)state;
	snprintf(pam, sizeof(pam), "%s/pam-sshd", base);
	put(pam, orig);
	argv[argc++] = (char *)(uintptr_t)"install-sshd";
	argv[argc++] = (char *)(uintptr_t)"--sshd-config-dir";
	argv[argc++] = cfgdir;
	argv[argc++] = (char *)(uintptr_t)"--sshd-test-config";
	argv[argc++] = cfg;
	argv[argc++] = (char *)(uintptr_t)"--no-reload";
	argv[argc++] = (char *)(uintptr_t)"--user";
	argv[argc++] = (char *)(uintptr_t)"nobody";
	argv[argc++] = (char *)(uintptr_t)"--no-useradd";
	argv[argc++] = (char *)(uintptr_t)"--helper";
	argv[argc++] = (char *)(uintptr_t)HELPER;
	argv[argc++] = (char *)(uintptr_t)"--socket";
	argv[argc++] = (char *)(uintptr_t)"/run/w/agent.sock";
	argv[argc++] = (char *)(uintptr_t)"--pam-file";
	argv[argc++] = pam;
	argv[argc++] = (char *)(uintptr_t)"--state";
	argv[argc++] = base;
	argv[argc++] = (char *)(uintptr_t)"--single-use";
	argv[argc] = NULL;
	snprintf(marker, sizeof(marker), "%s/single-use", base);
	assert_false(wk_agent_single_use_enforced(base));
	assert_int_equal(wk_agent_cmd_install_sshd(argc, argv), 0);
	assert_non_null(strstr(get(dropin), "\nExposeAuthInfo yes\n"
	    "UsePAM yes\n"));
	/* First in the session stack (before anything that may change the
	 * PAM environment), and requisite: its refusal must count. */
	snprintf(first, sizeof(first), "%s", get(pam));
	assert_string_equal(first, "# sshd\n@include common-account\n"
	    "# Added by wicket-agent install-sshd --single-use; the next "
	    "line is wicket's.\n"
	    "session requisite pam_wicket.so socket=/run/w/agent.sock\n"
	    "session required pam_permit.so\n");
	/* The host now says it consumes single-use keys. */
	assert_true(wk_agent_single_use_enforced(base));
	/* Again: nothing changes, the line is not doubled. */
	assert_int_equal(wk_agent_cmd_install_sshd(argc, argv), 0);
	assert_string_equal(get(pam), first);
	/* A bad module name is refused before anything is written. */
	argv[argc++] = (char *)(uintptr_t)"--pam-module";
	argv[argc++] = (char *)(uintptr_t)"x y.so";
	argv[argc] = NULL;
	assert_int_not_equal(wk_agent_cmd_install_sshd(argc, argv), 0);
	assert_string_equal(get(pam), first);
	/* Uninstall puts the PAM file back as it was. */
	argc = 0;
	argv[argc++] = (char *)(uintptr_t)"uninstall-sshd";
	argv[argc++] = (char *)(uintptr_t)"--sshd-config-dir";
	argv[argc++] = cfgdir;
	argv[argc++] = (char *)(uintptr_t)"--sshd-test-config";
	argv[argc++] = cfg;
	argv[argc++] = (char *)(uintptr_t)"--no-reload";
	argv[argc++] = (char *)(uintptr_t)"--pam-file";
	argv[argc++] = pam;
	argv[argc++] = (char *)(uintptr_t)"--state";
	argv[argc++] = base;
	argv[argc] = NULL;
	assert_int_equal(wk_agent_cmd_uninstall_sshd(argc, argv), 0);
	assert_string_equal(get(pam), orig);
	assert_false(wk_agent_single_use_enforced(base));
	assert_int_not_equal(access(marker, F_OK), 0);
	assert_int_not_equal(access(dropin, F_OK), 0);
	/*
	 * Without --single-use: the drop-in still exposes the key and the
	 * PAM line only reports logins (optional, noconsume).
	 */
	assert_int_equal(install("install-sshd", "/var/lib/wicket"), 0);
	assert_non_null(strstr(get(dropin), "\nExposeAuthInfo yes\n"
	    "UsePAM yes\n"));
	assert_int_equal(install("uninstall-sshd", NULL), 0);
	argc = 0;
	argv[argc++] = (char *)(uintptr_t)"install-sshd";
	argv[argc++] = (char *)(uintptr_t)"--sshd-config-dir";
	argv[argc++] = cfgdir;
	argv[argc++] = (char *)(uintptr_t)"--sshd-test-config";
	argv[argc++] = cfg;
	argv[argc++] = (char *)(uintptr_t)"--no-reload";
	argv[argc++] = (char *)(uintptr_t)"--user";
	argv[argc++] = (char *)(uintptr_t)"nobody";
	argv[argc++] = (char *)(uintptr_t)"--no-useradd";
	argv[argc++] = (char *)(uintptr_t)"--helper";
	argv[argc++] = (char *)(uintptr_t)HELPER;
	argv[argc++] = (char *)(uintptr_t)"--socket";
	argv[argc++] = (char *)(uintptr_t)"/run/w/agent.sock";
	argv[argc++] = (char *)(uintptr_t)"--state";
	argv[argc++] = base;
	argv[argc++] = (char *)(uintptr_t)"--pam-file";
	argv[argc++] = pam;
	argv[argc] = NULL;
	assert_int_equal(wk_agent_cmd_install_sshd(argc, argv), 0);
	assert_non_null(strstr(get(pam), "\nsession optional pam_wicket.so "
	    "socket=/run/w/agent.sock noconsume\nsession required "
	    "pam_permit.so\n"));
	assert_false(wk_agent_single_use_enforced(base));
	argc = 0;
	argv[argc++] = (char *)(uintptr_t)"uninstall-sshd";
	argv[argc++] = (char *)(uintptr_t)"--sshd-config-dir";
	argv[argc++] = cfgdir;
	argv[argc++] = (char *)(uintptr_t)"--sshd-test-config";
	argv[argc++] = cfg;
	argv[argc++] = (char *)(uintptr_t)"--no-reload";
	argv[argc++] = (char *)(uintptr_t)"--pam-file";
	argv[argc++] = pam;
	argv[argc] = NULL;
	assert_int_equal(wk_agent_cmd_uninstall_sshd(argc, argv), 0);
	assert_string_equal(get(pam), orig);
	unlink(pam);
}

static void
test_foreign_file_backed_up(void **state)
{
	static const char foreign[] = "# someone else's\nMaxAuthTries 4\n";

	(void)state;
	put(dropin, foreign);
	/* uninstall leaves a foreign file alone. */
	assert_int_not_equal(install("uninstall-sshd", NULL), 0);
	assert_string_equal(get(dropin), foreign);

	assert_int_equal(install("install-sshd", "/var/lib/wicket"), 0);
	assert_string_equal(get(bak), foreign);
	assert_non_null(strstr(get(dropin), "AuthorizedKeysCommand "));
	/* uninstall puts the foreign file back. */
	assert_int_equal(install("uninstall-sshd", NULL), 0);
	assert_string_equal(get(dropin), foreign);
	assert_int_not_equal(access(bak, F_OK), 0);
	unlink(dropin);
}

static void
test_failed_check_rolls_back(void **state)
{
	static const char foreign[] = "# previous\nMaxAuthTries 5\n";
	char bad[4300];

	(void)state;
	snprintf(bad, sizeof(bad), "%s/59-bad.conf", cfgdir);
	put(bad, "BogusOption yes\n");
	/* No previous file: the new one is removed again. */
	assert_int_not_equal(install("install-sshd", "/var/lib/wicket"), 0);
	assert_int_not_equal(access(dropin, F_OK), 0);
	assert_int_not_equal(access(bak, F_OK), 0);
	/* A previous foreign file: restored, and no stray backup. */
	put(dropin, foreign);
	assert_int_not_equal(install("install-sshd", "/var/lib/wicket"), 0);
	assert_string_equal(get(dropin), foreign);
	assert_int_not_equal(access(bak, F_OK), 0);
	unlink(dropin);
	unlink(bad);
	/* Fixed: it installs. */
	assert_int_equal(install("install-sshd", "/var/lib/wicket"), 0);
	assert_int_equal(install("uninstall-sshd", NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sshd_config_prints),
		cmocka_unit_test(test_install_uninstall),
		cmocka_unit_test(test_single_use_pam_line),
		cmocka_unit_test(test_foreign_file_backed_up),
		cmocka_unit_test(test_failed_check_rolls_back),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
