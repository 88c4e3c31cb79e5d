#!/usr/bin/env bash
# The Helm chart and the plain manifests rendered from it: helm lint and
# helm template (helm pinned, from the Go module proxy), an offline strict
# check of the rendered objects (deploy/kubecheck), `scimgw validate` of
# the config they carry, and deploy/kubernetes in sync with the chart.
# `bash .ci/helm.sh render` rewrites deploy/kubernetes/scimgw.yaml.
set -euo pipefail
cd "$(dirname "$0")/.."
HELM_VERSION=v4.3.2
tools=${TMPDIR:-/tmp}/scimgw-tools
helm=$tools/helm
if ! { [ -x "$helm" ] && "$helm" version --short 2>/dev/null | grep -q "^${HELM_VERSION%.*}"; }; then
  GOBIN=$tools go install helm.sh/helm/v4/cmd/helm@$HELM_VERSION
fi
chart=deploy/helm/scimgw
render() { "$helm" template scimgw "$chart" -f "$chart/ci-values.yaml"; }
header='# Rendered from deploy/helm/scimgw with ci-values.yaml by `bash .ci/helm.sh render`; do not edit.
# Before applying: create the Secrets scimgw-tokens (ACME_IDP_TOKEN, ACME_BACKEND_TOKEN, …)
# and scimgw-postgres (key dsn), and put your tenants in the ConfigMap.'
if [ "${1:-}" = render ]; then
  { echo "$header"; render; } > deploy/kubernetes/scimgw.yaml
  exit 0
fi
"$helm" lint --strict "$chart"
"$helm" lint --strict "$chart" -f "$chart/ci-values.yaml"
out=$(mktemp -d)
"$helm" template scimgw "$chart" > "$out/default.yaml"
render > "$out/ci.yaml"
if "$helm" template scimgw "$chart" --set replicaCount=3 >/dev/null 2>&1; then
  echo "the chart let several replicas run on the embedded store"; exit 1
fi
diff <(echo "$header"; cat "$out/ci.yaml") deploy/kubernetes/scimgw.yaml \
  || { echo "deploy/kubernetes/scimgw.yaml is not what the chart renders: bash .ci/helm.sh render"; exit 1; }
(cd deploy/kubecheck && go vet ./... && go run . "$out/default.yaml" && go run . -config "$out/config.yaml" "$out/ci.yaml")
SCIMGW_LISTEN=0.0.0.0:8080 SCIMGW_ADMIN_LISTEN=0.0.0.0:9090 SCIMGW_PUBLIC_URL=https://scim.example.com \
SCIMGW_PG_DSN=postgres://scimgw@db:5432/scimgw ACME_IDP_TOKEN=ci-idp-token-0001 ACME_BACKEND_TOKEN=ci-backend-token \
  go run ./cmd/scimgw validate --config "$out/config.yaml"
