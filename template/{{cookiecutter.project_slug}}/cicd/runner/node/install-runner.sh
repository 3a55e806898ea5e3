#!/usr/bin/env bash
# Installs the GitHub Actions runner release RUNNER_URL (verified against
# RUNNER_SHA256) into /opt/actions-runner for the user `runner`, and closes the
# metadata service to that user. Shared by the GPU nodes (start-runner.sh) and the
# CI VM of cicd/infra (register-runner.sh).
set -euo pipefail
: "${RUNNER_URL:?RUNNER_URL names the runner release}"
: "${RUNNER_SHA256:?RUNNER_SHA256 is the checksum of that release}"

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

# The metadata service hands the machine's user-data (its secrets included) to any
# local process: close it to the user that runs the jobs.
iptables -I OUTPUT -d 169.254.169.254 -m owner --uid-owner runner -j REJECT
