#!/usr/bin/env bash
# Makes this VM the repository's always-on CI runner: installs the runner, registers
# it with the project's CI label, and runs it as a service. cloud-init runs it once,
# at first boot; a rebuilt VM registers again under the same name (--replace).
set -euo pipefail

set -a
# shellcheck source=/dev/null
source /etc/ci-runner/runner.env
set +a

/opt/ci-runner/install-runner.sh

# A registration token lives an hour and only registers runners; read it once.
token=$(cat /etc/ci-runner/registration-token)
rm -f /etc/ci-runner/registration-token
cd /opt/actions-runner
runuser -u runner -- ./config.sh --unattended --replace --url "$REPOSITORY_URL" \
  --token "$token" --name "$RUNNER_NAME" --labels "$RUNNER_LABELS"
./svc.sh install runner
./svc.sh start
