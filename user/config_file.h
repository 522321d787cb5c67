/* SPDX-License-Identifier: MIT */
/*
 * The --config file: a YAML mapping of option names (the long names
 * without "--") to values, read through the same option table and the same
 * checks as the command line (config.c), so one description serves both:
 *
 *   otlp-endpoint: http://collector:4318
 *   port: [80, 8080]        # a repeatable option: a list (or one value)
 *   verbose: true           # a switch: true or false
 *   learn: 10s
 *
 * Unknown names, a name given twice, a list for a single-value option, a
 * mapping anywhere, aliases, --help/--version/--config and bad values are
 * errors "FILE:LINE:COL: name: why" (1-based, at the offending node).
 */
#ifndef ZT_CONFIG_FILE_H
#define ZT_CONFIG_FILE_H

#include <stddef.h>

#include "config.h"

/* Pure: applies the file's text onto cfg and marks each option it sets in
 * cfg->set_by_file. A list in the file replaces cfg's list. On
 * CONFIG_ERROR cfg is unchanged and err holds the message; `filename`
 * only names the file in it. */
enum config_result config_file_apply(struct zt_config *cfg, const char *text, size_t len,
				     const char *filename, char *err, size_t err_len);
/* Reads the file at `path` (up to YREAD_MAX_BYTES) and applies it. A file
 * that cannot be read is "--config: cannot read 'PATH': why". */
enum config_result config_file_load(struct zt_config *cfg, const char *path, char *err,
				    size_t err_len);

#endif /* ZT_CONFIG_FILE_H */
