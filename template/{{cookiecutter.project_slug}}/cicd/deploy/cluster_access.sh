#!/usr/bin/env bash
# kubectl and the cluster's credentials, for one job of the deploy workflow.
#
#   cicd/deploy/cluster_access.sh
#
# Needs KUBECONFIG_DATA (the secret: k3s's kubeconfig, its server the platform
# VM's address: cicd/docs/deploy.md) and the runner's RUNNER_TEMP, GITHUB_PATH
# and GITHUB_ENV. kubectl is the release of the Kubernetes version the
# manifests are validated for, checked against its published sha256.
set -euo pipefail

version=$(sed -n 's/^KUBERNETES_VERSION = "\(.*\)"$/\1/p' cicd/manifests.py)
case "$(uname -m)" in
  x86_64) arch=amd64 ;;
  aarch64) arch=arm64 ;;
  *)
    echo "cluster_access: no kubectl build for $(uname -m)" >&2
    exit 1
    ;;
esac
bin="$RUNNER_TEMP/bin"
mkdir -p "$bin"
url="https://dl.k8s.io/release/v$version/bin/linux/$arch/kubectl"
curl --fail --silent --show-error --location --output "$bin/kubectl" "$url"
echo "$(curl --fail --silent --show-error --location "$url.sha256")  $bin/kubectl" |
  sha256sum --check --quiet
chmod +x "$bin/kubectl"
echo "$bin" >>"$GITHUB_PATH"

umask 077
printf '%s\n' "$KUBECONFIG_DATA" >"$RUNNER_TEMP/kubeconfig"
echo "KUBECONFIG=$RUNNER_TEMP/kubeconfig" >>"$GITHUB_ENV"
