#!/usr/bin/env bash
# Gives the node back: deletes its own lease when the node was given a release
# credential (release.env), then powers off. Without the credential the lease
# still ends at its end date, at most lease_hours after it began.
# No `set -e`: whatever fails, the power-off below must still happen.
set -uo pipefail

reason=${1:-"no reason given"}
logger --tag gpu-runner "releasing the node: $reason"

if [[ -r /etc/gpu-runner/release.env ]]; then
  # shellcheck source=/dev/null
  source /etc/gpu-runner/release.env
  # The secret goes to curl on stdin, never on a command line others could read.
  token=$(
    printf '{"auth": {"identity": {"methods": ["application_credential"], "application_credential": {"id": "%s", "secret": "%s"}}}}' \
      "$RELEASE_CREDENTIAL_ID" "$RELEASE_CREDENTIAL_SECRET" |
      curl --silent --show-error --max-time 30 --dump-header - --output /dev/null \
        --header "Content-Type: application/json" --data @- \
        "${OS_AUTH_URL%/}/auth/tokens" |
      awk 'tolower($1) == "x-subject-token:" { print $2 }' | tr -d '\r'
  )
  if [[ -n "$token" ]]; then
    curl --silent --show-error --max-time 30 --request DELETE \
      --header @- "${BLAZAR_URL%/}/leases/$LEASE_ID" <<<"X-Auth-Token: $token" &&
      logger --tag gpu-runner "deleted lease $LEASE_ID"
  else
    logger --tag gpu-runner "could not get a token; the lease ends at its end date"
  fi
fi
systemctl poweroff
