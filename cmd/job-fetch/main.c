/* job-fetch: download each finished job's output into a directory */
#include "job-fetch.h"

static const char usage[] =
    "usage: job-fetch [-ehnqV] -o dir [--api url] [--token-file file] "
    "[--id id] [--url url] [--header-file file] [--name name] "
    "[--skip-existing] [-j jobs] [--timeout seconds] [--retries n] "
    "[--errors file] [--max-line bytes] [file ...]";

const char *dir;
struct fetchfile_dir fdir = { .fd = -1, .prefix = ".job-fetch" };
const char *api;
char *token;
struct curl_slist *secret;	/* --header-file */
struct tmpl *idt, *urlt, *namet;
int skip_existing, nflag;

enum {
	O_API = 256, O_TOKENFILE, O_ID, O_URL, O_HEADERFILE, O_NAME,
	O_SKIP, O_ERRORS
};

/* the options as given that main() still needs */
struct args {
	const char *tokfile, *errors;
};

static void
parse_args(int argc, char *argv[], struct http_opts *ho, struct nd_opts *o,
    struct args *a)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'},
		{"api", required_argument, NULL, O_API},
		{"token-file", required_argument, NULL, O_TOKENFILE},
		{"id", required_argument, NULL, O_ID},
		{"url", required_argument, NULL, O_URL},
		{"header-file", required_argument, NULL, O_HEADERFILE},
		{"name", required_argument, NULL, O_NAME},
		{"skip-existing", no_argument, NULL, O_SKIP},
		HTTP_LONGOPTS,
		{"errors", required_argument, NULL, O_ERRORS},
		ND_LONGOPT_MAX_LINE,
		ND_LONGOPTS_COMMON,
		{"dry-run", no_argument, NULL, 'n'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	char err[1024];
	int ch;

	while ((ch = getopt_long(argc, argv, "ehj:no:qV", longopts,
	    NULL)) != -1) {
		if (http_run_opt(ho, ch, optarg, usage))
			continue;
		switch (ch) {
		case 'o': dir = optarg; break;
		case O_API: api = optarg; break;
		case O_TOKENFILE: a->tokfile = optarg; break;
		case O_ID: idt = arg_tmpl(NULL, optarg, usage); break;
		case O_URL: urlt = arg_tmpl(NULL, optarg, usage); break;
		case O_NAME: namet = arg_tmpl(NULL, optarg, usage); break;
		case O_HEADERFILE:
			if (http_header_file(optarg, &secret, err,
			    sizeof(err)) < 0)
				msg_die(EX_CONFIG, "%s", err);
			break;
		case O_SKIP: skip_existing = 1; break;
		case O_ERRORS: a->errors = optarg; break;
		case ND_OPT_MAX_LINE:
			nd_max_line_opt(optarg, usage);
			break;
		case 'e': o->eflag = 1; break;
		case 'n': nflag = 1; break;
		case 'q': msg_quiet = 1; break;
		ND_CASES_COMMON
			nd_common_opt(ch, optarg, usage);
			break;
		case 'h': msg_help(usage);
		case 'V': msg_version();
		default:  msg_usage(usage);
		}
	}
	if (dir == NULL) {
		msg_err("give the output directory (-o)");
		msg_usage(usage);
	}
	if (idt == NULL)
		idt = arg_tmpl(NULL, "{body.id}", usage);
	if (urlt == NULL && api == NULL) {
		msg_err("give --api (or JOB_API_URL) or --url");
		msg_usage(usage);
	}
	if (api != NULL && urlt == NULL &&
	    http_url_check(api, err, sizeof(err)) < 0) {
		msg_err("--api: %s", err);
		msg_usage(usage);
	}
}

/* the token: --token-file, else JOB_API_TOKEN */
static void
load_token(const char *tokfile)
{
	char err[1024];
	const char *e;

	if (tokfile != NULL) {
		if ((token = http_secret_file(tokfile, err, sizeof(err))) ==
		    NULL)
			msg_die(EX_CONFIG, "cannot read the token: %s", err);
	} else if ((e = getenv("JOB_API_TOKEN")) != NULL && *e != '\0') {
		token = xstrdup(e);
	}
}

int
main(int argc, char *argv[])
{
	struct http_opts ho;
	struct http_pool *pool;
	static struct progress prog;
	struct http_tool tool = { build, done, drop };
	struct nd_opts o = {0};
	struct args a = {0};
	const char *e;
	char err[1024];
	int rc;

	msg_prog = "job-fetch";
	if (http_opts_init(&ho, msg_prog, err, sizeof(err)) < 0)
		msg_die(EX_CONFIG, "%s", err);
	ho.idle_timeout = 1;	/* a big output may take long; a stall not */
	/* fewer, bigger reads, writes and hash updates: about half the
	 * system time on a 1 GiB output (1.5-2.2 s to 0.8-0.9 s); 8 x
	 * 256 KiB at -j 8 */
	ho.recv_buffer = 256 * 1024;
	if ((e = getenv("JOB_API_URL")) != NULL && *e != '\0')
		api = e;
	parse_args(argc, argv, &ho, &o, &a);
	load_token(a.tokfile);
	/* HOOKPIPE_NAMED_TEMP=1: named temporaries, as where there is no
	 * O_TMPFILE (for the tests) */
	e = getenv("HOOKPIPE_NAMED_TEMP");
	fdir.anon_ok = access("/proc/self/fd", X_OK) == 0 &&
	    (e == NULL || *e == '\0');
	fdir.dir = dir;
	fdir.skip_existing = skip_existing;
	if ((fdir.fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		msg_die(EX_CONFIG, "cannot open directory %s: %s", dir,
		    strerror(errno));
	if (a.errors != NULL && nd_errors_open(a.errors, err, sizeof(err)) < 0)
		msg_die(EX_CONFIG, "%s", err);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		msg_die(EX_SYSTEM, "cannot start libcurl");
	progress_start(&prog);	/* on a terminal only */
	ho.progress = &prog;
	if ((pool = http_pool_new(&ho, err, sizeof(err))) == NULL)
		msg_die(EX_SYSTEM, "%s", err);
	if (!nflag && fetchfile_start(ho.jobs, err, sizeof(err)) < 0)
		msg_die(EX_SYSTEM, "%s", err);
	rc = http_run(argv + optind, argc - optind, pool, &tool, NULL, &o);
	progress_end(&prog);
	fetchfile_stop();	/* every transfer was released: idle */
	http_pool_free(pool);
	tmpl_free(idt);
	tmpl_free(urlt);
	tmpl_free(namet);
	curl_slist_free_all(secret);
	if (token != NULL)
		memset(token, 0, strlen(token));
	free(token);
	close(fdir.fd);
	curl_global_cleanup();
	return rc;
}
