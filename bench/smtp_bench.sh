#!/bin/sh
# SMTP receive + local delivery throughput, posternd vs Postfix (issue 5).
exec python3 "$(dirname "$0")/smtp_bench.py" "$@"
