// SPDX-License-Identifier: MIT
#include "config_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yaml_read.h"

#define CONFIG_KEY_MAX 64

/* One option's value: a scalar, or (for a list option) a list of them. */
static int config_file_value(struct yread *r, struct zt_config *cfg,
			     const struct config_option *opt, const char *key)
{
	char why[CONFIG_ERR_MAX];
	const char *val;
	int first = 1;

	if (r->ev.type == YAML_SEQUENCE_START_EVENT) {
		if (!(config_option_flags(opt) & CONFIG_OPT_LIST))
			return yread_fail(r, &r->ev.start_mark, "%s: takes one value, not a list",
					  key);
		/* an empty list empties the option's list */
		config_option_clear(cfg, opt);
		for (;;) {
			if (yread_next(r))
				return -1;
			if (r->ev.type == YAML_SEQUENCE_END_EVENT)
				return 0;
			if (r->ev.type != YAML_SCALAR_EVENT)
				return yread_fail(r, &r->ev.start_mark,
						  "%s: a list of values, not of %ss", key,
						  r->ev.type == YAML_SEQUENCE_START_EVENT ? "list" :
											    "mapping");
			if (yread_is_null(r))
				return yread_fail(r, &r->ev.start_mark, "%s: missing value", key);
			val = yread_text(r, key);
			if (!val)
				return -1;
			if (config_option_set(cfg, opt, val, first, why, sizeof(why)) != CONFIG_OK)
				return yread_fail(r, &r->ev.start_mark, "%s: %s", key, why);
			first = 0;
		}
	}
	if (r->ev.type != YAML_SCALAR_EVENT)
		return yread_fail(r, &r->ev.start_mark, "%s: must be a value, not %s", key,
				  yread_kind(r));
	if (yread_is_null(r))
		return yread_fail(r, &r->ev.start_mark, "%s: missing value", key);
	val = yread_text(r, key);
	if (!val)
		return -1;
	if (config_option_set(cfg, opt, val, 1, why, sizeof(why)) != CONFIG_OK)
		return yread_fail(r, &r->ev.start_mark, "%s: %s", key, why);
	return 0;
}

static int config_file_walk(struct yread *r, struct zt_config *cfg)
{
	const struct config_option *opt;
	char key[CONFIG_KEY_MAX];
	uint64_t seen = 0, bit;
	size_t n;
	int rc = yread_begin(r, "a config file must be a mapping of option names to values");

	if (rc <= 0)
		return rc;
	for (;;) {
		if (yread_next(r))
			return -1;
		if (r->ev.type == YAML_MAPPING_END_EVENT)
			break;
		if (r->ev.type != YAML_SCALAR_EVENT)
			return yread_fail(r, &r->ev.start_mark,
					  "an option name must be a plain name, not %s", yread_kind(r));
		n = r->ev.data.scalar.length;
		opt = config_option_find((const char *)r->ev.data.scalar.value, n);
		if (!opt) {
			return yread_fail(r, &r->ev.start_mark, "%.*s: unknown option (see --help)",
					  (int)(n < CONFIG_KEY_MAX ? n : CONFIG_KEY_MAX),
					  (const char *)r->ev.data.scalar.value);
		}
		memcpy(key, r->ev.data.scalar.value, n); /* a table name: short */
		key[n] = '\0';
		if (config_option_flags(opt) & CONFIG_OPT_CMDLINE_ONLY)
			return yread_fail(r, &r->ev.start_mark,
					  "%s: can be given on the command line only", key);
		bit = config_option_bit(opt);
		if (seen & bit)
			return yread_fail(r, &r->ev.start_mark, "%s: given twice", key);
		seen |= bit;
		if (yread_next(r) || config_file_value(r, cfg, opt, key))
			return -1;
		cfg->set_by_file |= bit;
	}
	return yread_end(r);
}

enum config_result config_file_apply(struct zt_config *cfg, const char *text, size_t len,
				     const char *filename, char *err, size_t err_len)
{
	struct zt_config *tmp = malloc(sizeof(*tmp));
	struct yread r;
	int rc = -1;

	if (err && err_len)
		err[0] = '\0';
	if (!tmp) {
		if (err && err_len)
			snprintf(err, err_len, "%s: out of memory", filename ? filename : "(input)");
		return CONFIG_ERROR;
	}
	*tmp = *cfg;
	if (yread_init(&r, text, len, filename, err, err_len) == 0)
		rc = config_file_walk(&r, tmp);
	yread_free(&r);
	if (rc == 0)
		*cfg = *tmp;
	free(tmp);
	return rc == 0 ? CONFIG_OK : CONFIG_ERROR;
}

enum config_result config_file_load(struct zt_config *cfg, const char *path, char *err,
				    size_t err_len)
{
	char *buf = NULL;
	size_t len = 0;
	enum config_result rc;
	int e;

	e = yread_slurp(path, &buf, &len);
	if (e) {
		if (err && err_len)
			snprintf(err, err_len, "--config: cannot read '%s': %s", path, strerror(e));
		return CONFIG_ERROR;
	}
	rc = config_file_apply(cfg, buf, len, path, err, err_len);
	free(buf);
	return rc;
}
