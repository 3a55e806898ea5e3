#!/usr/bin/env bash
# Installs the GitHub Actions runner on this node and runs it for exactly one job.
# Started by gpu-runner.service; when the runner exits (its one job done, or it
# failed to start), the unit's ExecStopPost runs release-node.sh.
set -euo pipefail

# shellcheck source=/dev/null
source /etc/gpu-runner/runner.env

install_dir=/opt/actions-runner
tarball=/tmp/actions-runner.tar.gz

if ! id runner >/dev/null 2>&1; then
  useradd --create-home --shell /bin/bash runner
fi
if getent group docker >/dev/null; then
  usermod --append --groups docker runner
fi

curl --fail --silent --show-error --location --retry 5 --output "$tarball" "$RUNNER_URL"
# A runner binary is code that will hold the repository's job token: verify it.
echo "$RUNNER_SHA256  $tarball" | sha256sum --check --strict
mkdir -p "$install_dir"
tar -xzf "$tarball" -C "$install_dir"
rm -f "$tarball"
"$install_dir/bin/installdependencies.sh"
chown -R runner:runner "$install_dir"

# The metadata service hands this node's user-data (JIT config, release
# credential) to any local process: close it to the user that runs the job.
iptables -I OUTPUT -d 169.254.169.254 -m owner --uid-owner runner -j REJECT

# The JIT config registers this runner for one job; it is readable by root only.
jit_config=$(cat /etc/gpu-runner/jitconfig)
cd "$install_dir"
exec runuser -u runner -- ./run.sh --jitconfig "$jit_config"
