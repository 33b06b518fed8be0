/* s3-get: download each record's S3 object durably into a directory */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <unistd.h>
#include <curl/curl.h>

#include "arg.h"
#include "s3-get.h"

static const char usage[] =
    "usage: s3-get [-ehqV] -o dir [--name template] [--part-size size] "
    "[-j jobs] [--timeout seconds] [--retries n] [--endpoint url] "
    "[--errors file] [--max-line bytes] [file ...]";

struct fetchfile_dir fdir = { .fd = -1, .prefix = ".s3-get" };
struct s3req_ctx ctx;
struct tmpl *namet;
size_t psize = 8 << 20;
struct http_opts hopts;

enum { O_NAME = 256, O_PSIZE, O_ENDPOINT, O_ERRORS };

/* the options as given that main() still needs */
struct args {
	const char *dir, *endpoint, *errors;
};

static void
parse_args(int argc, char *argv[], struct nd_opts *o, struct args *a)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'},
		{"name", required_argument, NULL, O_NAME},
		{"part-size", required_argument, NULL, O_PSIZE},
		{"endpoint", required_argument, NULL, O_ENDPOINT},
		HTTP_LONGOPTS,
		{"errors", required_argument, NULL, O_ERRORS},
		ND_LONGOPT_MAX_LINE,
		ND_LONGOPTS_COMMON,
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "ehj:o:qV", longopts,
	    NULL)) != -1) {
		if (http_run_opt(&hopts, ch, optarg, usage))
			continue;
		switch (ch) {
		case 'o': a->dir = optarg; break;
		case O_NAME: namet = arg_tmpl("--name", optarg, usage); break;
		case O_PSIZE:
			psize = arg_size("--part-size", optarg, 1 << 20,
			    (size_t)1 << 30, usage);
			break;
		case O_ENDPOINT: a->endpoint = optarg; break;
		case O_ERRORS: a->errors = optarg; break;
		case ND_OPT_MAX_LINE: nd_max_line_opt(optarg, usage); break;
		case 'e': o->eflag = 1; break;
		case 'q': msg_quiet = 1; break;
		ND_CASES_COMMON
			nd_common_opt(ch, optarg, usage);
			break;
		case 'h': msg_help(usage);
		case 'V': msg_version();
		default:  msg_usage(usage);
		}
	}
	if (a->dir == NULL) {
		msg_err("give the output directory (-o)");
		msg_usage(usage);
	}
}

/* -o: the directory, opened (or stdout for "-") */
static void
open_dir(const char *dir)
{
	const char *e;

	fdir.dir = dir;
	if (strcmp(dir, "-") == 0) {
		fdir.stream = 1;
		return;
	}
	/* HOOKPIPE_NAMED_TEMP=1: named temporaries, as where there is no
	 * O_TMPFILE (for the tests) */
	e = getenv("HOOKPIPE_NAMED_TEMP");
	fdir.anon_ok = access("/proc/self/fd", X_OK) == 0 &&
	    (e == NULL || *e == '\0');
	if ((fdir.fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		msg_die(EX_CONFIG, "cannot open directory %s: %s", dir,
		    strerror(errno));
}

/* region, endpoint, addressing, credentials: as the other S3 tools */
static void
s3_setup(struct aws_s3_conf *s3, const char *endpoint)
{
	char err[1100];

	if (aws_s3_conf_load(s3, endpoint, 1, err, sizeof(err)) < 0)
		msg_die(EX_CONFIG, "%s", err);
	s3req_ctx_init(&ctx, s3, "s3-get", hopts.timeout,
	    hopts.retry.retries);
}

int
main(int argc, char *argv[])
{
	struct http_pool *pool;
	static struct progress prog;
	struct http_tool tool = { build, done, drop };
	struct nd_opts o = {0};
	struct args a = {0};
	struct aws_s3_conf s3;
	char err[1100];
	int rc;

	msg_prog = "s3-get";
	if (http_opts_init(&hopts, msg_prog, err, sizeof(err)) < 0)
		msg_die(EX_CONFIG, "%s", err);
	hopts.idle_timeout = 1;	/* a big object may take long; a stall not */
	hopts.recv_buffer = 256 * 1024;	/* as job-fetch: fewer, bigger
					 * writes and hash updates */
	parse_args(argc, argv, &o, &a);
	open_dir(a.dir);
	if (a.errors != NULL && nd_errors_open(a.errors, err, sizeof(err)) < 0)
		msg_die(EX_CONFIG, "%s", err);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		msg_die(EX_SYSTEM, "cannot start libcurl");
	s3_setup(&s3, a.endpoint);
	progress_start(&prog);	/* on a terminal only */
	hopts.progress = &prog;
	if ((pool = http_pool_new(&hopts, err, sizeof(err))) == NULL)
		msg_die(EX_SYSTEM, "%s", err);
	if (fetchfile_start(hopts.jobs, err, sizeof(err)) < 0 ||
	    parts_start(pool, err, sizeof(err)) < 0)
		msg_die(EX_SYSTEM, "%s", err);
	rc = http_run(argv + optind, argc - optind, pool, &tool, NULL, &o);
	parts_stop();
	progress_end(&prog);
	fetchfile_stop();	/* every transfer was released: idle */
	http_pool_free(pool);
	tmpl_free(namet);
	aws_s3_conf_free(&s3);
	if (fdir.fd >= 0)
		close(fdir.fd);
	curl_global_cleanup();
	return rc;
}
