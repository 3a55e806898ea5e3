#!/usr/bin/env bash
# Run every minute by gpu-runner-idle.timer. Releases the node when no job has
# run for IDLE_MINUTES, or when its lease is about to end, even if the workflow's
# stop job never runs (cancelled run, GitHub outage, crashed start job).
set -euo pipefail

# shellcheck source=/dev/null
source /etc/gpu-runner/runner.env

state_dir=/run/gpu-runner
last_busy_file="$state_dir/last-busy"
mkdir -p "$state_dir"
now=$(date +%s)

if ((now >= DEADLINE_EPOCH)); then
  exec /opt/gpu-runner/release-node.sh "the lease ends soon"
fi
# Runner.Worker is the process that runs a job; the listener alone is idle.
if pgrep -f Runner.Worker >/dev/null || [[ ! -f "$last_busy_file" ]]; then
  echo "$now" >"$last_busy_file"
  exit 0
fi
last_busy=$(cat "$last_busy_file")
if ((now - last_busy >= IDLE_MINUTES * 60)); then
  exec /opt/gpu-runner/release-node.sh "idle for $IDLE_MINUTES minutes"
fi
