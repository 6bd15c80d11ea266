#!/usr/bin/env bash
# io_uring probes (issue 11): what they cost a process doing its file I/O
# through io_uring, untracked and tracked, next to no agent in the same
# invocation, and the per-program run_time_ns/run_cnt of the agent's
# programs over one run (bench/cost.sh, part iouring).  Root only.
#   COST_REPS [7]  COST_IOURING_N [400000]
exec env COST_PARTS=iouring bash "$(dirname "$0")/cost.sh" "$@"
