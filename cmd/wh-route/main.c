/* wh-route: send each record to the routes whose rules match it */
#include "wh-route.h"

const char usage[] =
    "usage: wh-route [-ehqVv] [--strict] [--errors file] "
    "[--max-line bytes] [--state file]\n"
    "                [--lease sec] [--create-table] [-c file] [-w cond]... "
    "[file ...]\n"
    "       wh-route --settle --state file [-ehqV] [--errors file] "
    "[--max-line bytes] [file ...]";

struct rules rules;
struct state *state;	/* remember/recall */
long lease = 300;	/* seconds a recall's claim holds */
struct sink *sinks;	/* one per route */
struct rules_cond **wconds;
size_t nw;
int vflag, strict;
int state_flags;	/* --create-table: STATE_CREATE_TABLE */
struct jscan *scan;	/* checks each line, finds the fields */
struct jcanon *canon;	/* is a matched line compact already */

/* the command line's choices that main acts on */
struct args {
	struct nd_opts o;
	const char *conf, *errors, *statefile;
	int settle;
};

/* the options into a and the globals; the files start at optind */
static void
parse_args(int argc, char *argv[], struct args *a)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"where", required_argument, NULL, 'w'},
		{"invert", no_argument, NULL, 'v'},
		{"errors", required_argument, NULL, 'E'},
		ND_LONGOPT_MAX_LINE,
		ND_LONGOPTS_COMMON,
		{"strict", no_argument, NULL, 'S'},
		{"state", required_argument, NULL, 's'},
		{"lease", required_argument, NULL, 'L'},
		{"settle", no_argument, NULL, 'T'},
		{"create-table", no_argument, NULL, 'C'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	char err[1024];
	struct rules_cond *c;
	int ch;

	while ((ch = getopt_long(argc, argv, "c:ehqVvw:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c': a->conf = optarg; break;
		case 'e': a->o.eflag = 1; break;
		case 'E': a->errors = optarg; break;
		case ND_OPT_MAX_LINE:
			nd_max_line_opt(optarg, usage);
			break;
		case 'S': strict = 1; break;
		case 's': a->statefile = optarg; break;
		case 'L':
			if (opt_long("--lease", optarg, 1, 30 * 86400, &lease,
			    err, sizeof(err)) < 0) {
				msg_err("%s", err);
				msg_usage(usage);
			}
			break;
		case 'T': a->settle = 1; break;
		case 'C': state_flags |= STATE_CREATE_TABLE; break;
		case 'q': msg_quiet = 1; break;
		case 'v': vflag = 1; break;
		case 'w':
			if ((c = rules_where(optarg, err, sizeof(err))) == NULL) {
				msg_err("%s", err);
				msg_usage(usage);
			}
			wconds = xrealloc(wconds, (nw + 1) * sizeof(*wconds));
			wconds[nw++] = c;
			break;
		ND_CASES_COMMON
			nd_common_opt(ch, optarg, usage);
			break;
		case 'h': msg_help(usage);
		case 'V': msg_version();
		default:  msg_usage(usage);
		}
	}
}

int
main(int argc, char *argv[])
{
	struct args a = {0};
	struct nd_opts o;
	const char *conf, *errors, *statefile;
	char err[1024];
	int rc;
	size_t i;

	msg_prog = "wh-route";
	parse_args(argc, argv, &a);
	o = a.o;
	conf = a.conf;
	errors = a.errors;
	statefile = a.statefile;
	if (a.settle)
		return settle_main(statefile, conf != NULL || nw > 0, errors,
		    argv + optind, argc - optind, &o);
	if (conf != NULL && nw > 0) {
		msg_err("-c and -w do not go together");
		msg_usage(usage);
	}
	if (conf == NULL && nw == 0) {
		msg_err("give a rules file (-c) or conditions (-w)");
		msg_usage(usage);
	}
	if (vflag && nw == 0) {
		msg_err("-v inverts -w conditions");
		msg_usage(usage);
	}
	if (errors != NULL && nd_errors_open(errors, err, sizeof(err)) < 0)
		msg_die(EX_CONFIG, "%s", err);
	nd_signals();
	scan = jscan_new();
	/* jscan checks each line; --strict has jansson parse it too */
	o.raw = 1;
	if (nw > 0) {
		for (i = 0; i < nw; i++)
			rules_paths(wconds[i], scan_path, scan);
		/* from here on jansson only parses and tests records */
		if (strict)
			json_set_alloc_funcs(arena_alloc, arena_free);
		return nd_run(argv + optind, argc - optind, filter_one, NULL,
		    &o);
	}
	if (rules_load(conf, &rules, err, sizeof(err)) < 0)
		msg_die(EX_CONFIG, "cannot load rules: %s", err);
	for (i = 0; i < rules.n; i++)
		rules_paths(rules.route[i].when, scan_path, scan);
	canon = jcanon_new();
	o.raw = !strict;
	open_sinks(conf);
	open_state(conf, statefile);
	nd_on_flush(flush_sinks, NULL);
	rc = nd_run(argv + optind, argc - optind, route_one, NULL, &o);
	finish_children();
	nd_flush();
	state_close(state);
	return rc != 0 && rc != EX_PARTIAL ? rc : nd_status();
}
