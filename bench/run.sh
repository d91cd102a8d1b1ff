#!/usr/bin/env bash
# Runs the benchmark matrix of raftlog against its peers and prints the
# Markdown table (BENCHMARKS.md says how to read it). Flags go to
# cmd/benchmatrix; run with -h for them all.
#
#   bench/run.sh                                   # smoke scale: seconds
#   bench/run.sh -scale full -plan                 # the plan and its expected duration
#   bench/run.sh -scale full -json full.json -o table.md
#   bench/run.sh -from full.json                   # render a saved run again
#   bench/run.sh -rows a128,c16 -stores raft-wal   # some rows, some peers
#
# Installs strace if it is missing (it counts the peers' fsyncs), unless
# -fsyncs=false is given.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v strace >/dev/null 2>&1 && [[ " $* " != *" -fsyncs=false "* ]]; then
	echo "run.sh: installing strace, which counts the peers' fsyncs" >&2
	sudo=""
	if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
	$sudo apt-get update -qq >&2
	$sudo apt-get install -y -qq strace >&2
fi
exec go run -buildvcs=false ./cmd/benchmatrix "$@"
