#!/usr/bin/env bash
# The `releases` branch: main's files plus the environments' release records
# (cicd/k8s/overlays/ENV/release.yaml), the branch Argo CD applies
# (cicd/docs/deploy.md). Only the deploy workflow writes it: main stays
# protected, and each record is a commit of its own, so a rollback is a revert.
#
#   cicd/deploy/release_branch.sh checkout      the branch, brought up to main
#   cicd/deploy/release_branch.sh publish ENV   commit ENV's record and push it
#
# Needs a clone with history and a remote `origin` it may push to. Exit codes:
# 0 done (publish: also when the record did not change); 1 git failed, e.g. main
# changed a release record too; 2 bad arguments.
set -euo pipefail

BRANCH=releases
as_the_workflow() {
  git -c user.name="github-actions[bot]" \
    -c user.email="41898282+github-actions[bot]@users.noreply.github.com" "$@"
}

checkout() {
  git fetch --quiet origin main
  if git ls-remote --exit-code --heads origin "$BRANCH" >/dev/null; then
    git fetch --quiet origin "$BRANCH"
    git checkout --quiet -B "$BRANCH" "origin/$BRANCH"
    # Main's newer code and manifests; the records stay the branch's own.
    if ! as_the_workflow merge --quiet --no-edit origin/main; then
      git merge --abort
      echo "release_branch: main changed a file the $BRANCH branch changed too" \
        "(a release record?); merge main into $BRANCH by hand" >&2
      exit 1
    fi
  else
    git checkout --quiet -B "$BRANCH" origin/main
  fi
  echo "release_branch: on $BRANCH at $(git rev-parse --short HEAD)"
}

publish() {
  local environment=$1 record image model
  record="cicd/k8s/overlays/$environment/release.yaml"
  image=$(sed -n 's/^ *image: //p' "$record" | head -n 1)
  model=$(sed -n 's|^ *{{ cookiecutter.project_slug }}/model-version: ||p' "$record" | head -n 1)
  git add "$record"
  if git diff --cached --quiet; then
    echo "release_branch: $environment already records $image, model $model"
    return 0
  fi
  as_the_workflow commit --quiet --message "release($environment): $image, model $model"
  git push --quiet origin "HEAD:$BRANCH"
  echo "release_branch: $environment records $image, model $model ($(git rev-parse --short HEAD))"
}

case "${1:-}:${2:-}" in
  checkout:) checkout ;;
  publish:staging | publish:canary | publish:production) publish "$2" ;;
  *)
    echo "usage: $0 checkout | publish staging|canary|production" >&2
    exit 2
    ;;
esac
