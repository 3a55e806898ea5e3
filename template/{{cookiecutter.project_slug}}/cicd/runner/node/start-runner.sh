#!/usr/bin/env bash
# Installs the GitHub Actions runner on this node and runs it for exactly one job.
# Started by gpu-runner.service; when the runner exits (its one job done, or it
# failed to start), the unit's ExecStopPost runs release-node.sh.
set -euo pipefail

# shellcheck source=/dev/null
source /etc/gpu-runner/runner.env

RUNNER_URL="$RUNNER_URL" RUNNER_SHA256="$RUNNER_SHA256" /opt/gpu-runner/install-runner.sh

# The JIT config registers this runner for one job; it is readable by root only.
jit_config=$(cat /etc/gpu-runner/jitconfig)
cd /opt/actions-runner
exec runuser -u runner -- ./run.sh --jitconfig "$jit_config"
