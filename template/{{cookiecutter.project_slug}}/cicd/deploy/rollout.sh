#!/usr/bin/env bash
# Rolls one stage of the deploy VM over to an image, and back if it is unhealthy.
#
#   cicd/deploy/rollout.sh STAGE IMAGE      STAGE: staging | canary | production
#
# Needs DEPLOY_HOST (user@address of the deploy VM) and an SSH key for it. Run at
# the repository root (the deploy workflow does; so can a member, for a manual
# rollback: cicd/docs/deploy.md). Exit codes: 0 rolled out; 1 the new image failed
# its checks (the previous one is serving again); 2 bad arguments.
set -euo pipefail

usage() {
  echo "usage: $0 staging|canary|production IMAGE" >&2
  exit 2
}

[[ $# -eq 2 ]] || usage
stage=$1
image=$2
case "$stage" in
  staging) port=8081 ;;
  canary) port=8082 ;;
  production) port=8080 ;;
  *)
    echo "rollout: unknown stage '$stage'" >&2
    usage
    ;;
esac
# The image reaches a remote shell: accept only registry/name:tag characters.
if [[ ! "$image" =~ ^[a-z0-9][a-z0-9./_-]*:[A-Za-z0-9_][A-Za-z0-9._-]*$ ]]; then
  echo "rollout: '$image' is not an image reference of the form registry/name:tag" >&2
  exit 2
fi
if [[ -z "${DEPLOY_HOST:-}" ]]; then
  echo "rollout: set DEPLOY_HOST to user@address of the deploy VM" >&2
  exit 2
fi

remote_dir="deploy/{{ cookiecutter.project_slug }}"
remote() {
  ssh -o BatchMode=yes "$DEPLOY_HOST" "$@"
}

switch_to() {
  remote "cd $remote_dir && STAGE=$stage IMAGE=$1 PORT=$port docker compose up --detach --wait --pull always && echo $1 >$stage.image"
}

answers_sample() {
  remote "curl --fail --silent --show-error --max-time 30 --header 'Content-Type: application/json' --data @- http://localhost:$port/predict" \
    <contracts/input.sample.json | grep --quiet '"prediction"'
}

remote "mkdir -p $remote_dir"
scp -o BatchMode=yes cicd/deploy/compose.yml "$DEPLOY_HOST:$remote_dir/compose.yml"
previous=$(remote "cat $remote_dir/$stage.image 2>/dev/null || true")

echo "rollout: $stage ($port) ${previous:-nothing} -> $image"
if switch_to "$image" && answers_sample; then
  echo "rollout: $stage now serves $image"
  exit 0
fi
echo "rollout: $image failed its checks on $stage" >&2
if [[ -n "$previous" ]]; then
  switch_to "$previous"
  echo "rollout: rolled $stage back to $previous" >&2
fi
exit 1
