// SPDX-License-Identifier: MIT
/* The --help text, written from the option table and the rule list. */
#include "config_internal.h"

void config_usage(FILE *out, const char *prog)
{
	const struct config_option *o;
	char flag[48];
	size_t i;

	fprintf(out,
		"Usage: %s [options]\n"
		"Traces the HTTP/1.x traffic of unmodified processes with eBPF: spans, traces, OTLP, /metrics.\n"
		"\nOptions:\n",
		prog && prog[0] ? prog : "zerotrace");
	for (i = 0; i < config_n_options; i++) {
		o = &config_options[i];
		if (o->short_name)
			snprintf(flag, sizeof(flag), "-%c, --%s%s%s",
				 o->short_name, o->name, o->value ? " " : "",
				 o->value ? o->value : "");
		else
			snprintf(flag, sizeof(flag), "    --%s%s%s", o->name,
				 o->value ? " " : "", o->value ? o->value : "");
		if (o->def)
			fprintf(out, "  %-28s %s (default: %s)\n", flag,
				o->help, o->def);
		else
			fprintf(out, "  %-28s %s\n", flag, o->help);
	}
	fprintf(out,
		"\nA --config file is a YAML mapping of these names without \"--\" (learn: 10s,\n"
		"port: [80, 8080], verbose: true). The command line wins over it, and so do the\n"
		"OTEL_EXPORTER_OTLP_* variables for the otlp-* options.\n"
		"\nDetection rules (ids for --disable-rule, default severity):\n");
	for (i = 0; i < ALERT_RULE_COUNT; i++)
		fprintf(out, "  %-24s %-8s %s\n", alert_rules[i].name,
			alert_severity_name(alert_rules[i].severity), alert_rules[i].summary);
	fprintf(out,
		"\nCommands (each with its own usage):\n"
		"  %s baseline show|accept|reset [--state-dir DIR]   the learned service graph\n"
		"  %s audit verify DIR [--head SHA256]              check the audit trail's chain\n"
		"  %s check --expect FILE -- CMD...                 CMD's calls against a graph\n"
		"  %s graph [--format yaml|dot|mermaid]             the learned graph\n"
		"  %s record FILE [--record-max SIZE] [options]     the agent, recording to FILE\n"
		"  %s replay FILE [options]                         a recording's spans, no BPF\n",
		prog && prog[0] ? prog : "zerotrace", prog && prog[0] ? prog : "zerotrace",
		prog && prog[0] ? prog : "zerotrace", prog && prog[0] ? prog : "zerotrace",
		prog && prog[0] ? prog : "zerotrace", prog && prog[0] ? prog : "zerotrace");
}
