#!/usr/bin/env bash
# (s) OTLP/HTTP content: --otlp-protocol http/json, --otlp-timeout.
# Every JSON-lines span arrives exactly once at tests/otlp/receiver.js (the
# official OTLP protobuf root) with the same ids, parent, kind, times, name,
# attributes, resource, scope and status (body: tests/otlp/content_test.sh).
# shellcheck disable=SC2034 # read by content_test.sh
OTLP_MODE='json'
# shellcheck source=../otlp/content_test.sh
. "$(dirname "$0")/../otlp/content_test.sh"
