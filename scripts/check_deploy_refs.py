#!/usr/bin/env python3
"""check_deploy_refs.py [DEPLOY_DIR] — what schema validation cannot see in
deploy/: the objects must name each other consistently (a Service whose
selector matches no pod is valid YAML and serves nothing), and the image's
defaults must agree with the pods' spec. One line per check, "ok - ..." or
"FAIL - ...", counted by scripts/check_deploy.sh; exit 1 on any FAIL.
"""
import re
import sys
from pathlib import Path

import yaml

results = []


def check(name, cond, detail=""):
    results.append(bool(cond))
    print(("ok - " if cond else "FAIL - ") + name + ("" if cond else f": {detail}"))


def subset(a, b):
    return all(b.get(k) == v for k, v in (a or {}).items())


def main(deploy: Path) -> int:
    k8s = deploy / "k8s"
    docs = {}
    for f in sorted(k8s.glob("*.yaml")):
        for d in yaml.safe_load_all(f.read_text()):
            if d:
                docs[d["kind"]] = d
    dep, svc, hpa, pdb = (docs.get(k) for k in ("Deployment", "Service", "HorizontalPodAutoscaler",
                                                  "PodDisruptionBudget"))
    kust = docs.get("Kustomization")
    check("deploy/k8s has a Deployment, Service, HorizontalPodAutoscaler and kustomization.yaml",
          dep and svc and hpa and kust, f"kinds: {sorted(docs)}")
    if not (dep and svc and hpa and kust):
        return 1
    pod = dep["spec"]["template"]
    labels = pod["metadata"]["labels"]
    (ctr,) = pod["spec"]["containers"]
    ports = {p.get("name"): p["containerPort"] for p in ctr["ports"]}

    listed = set(kust["resources"])
    files = {f.name for f in k8s.glob("*.yaml")} - {"kustomization.yaml"}
    check("kustomization.yaml lists every manifest and only those", listed == files, f"{listed} vs {files}")
    check("Deployment selector matches its pod labels", subset(dep["spec"]["selector"]["matchLabels"], labels),
          f"{dep['spec']['selector']} vs {labels}")
    check("Service selector matches the pods", subset(svc["spec"]["selector"], labels),
          f"{svc['spec']['selector']} vs {labels}")
    tp = svc["spec"]["ports"][0]["targetPort"]
    check("Service targetPort is a container port", tp in ports or tp in ports.values(), f"{tp} vs {ports}")
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        g = ctr.get(probe, {}).get("httpGet", {})
        check(f"{probe} is GET /health on a container port", g.get("path") == "/health" and g.get("port") in ports,
              f"{g}")
    ref = hpa["spec"]["scaleTargetRef"]
    check("HPA scales this Deployment", (ref["kind"], ref["name"]) == ("Deployment", dep["metadata"]["name"]),
          f"{ref}")
    cpu_metric = any(m.get("resource", {}).get("name") == "cpu" for m in hpa["spec"]["metrics"])
    check("HPA CPU utilisation has a CPU request to measure against",
          not cpu_metric or ctr.get("resources", {}).get("requests", {}).get("cpu"), "no cpu request")
    if pdb:
        check("PodDisruptionBudget selects the pods", subset(pdb["spec"]["selector"]["matchLabels"], labels),
              f"{pdb['spec']['selector']}")

    # The image (deploy/Dockerfile) and the pod spec must agree.
    df = (deploy / "Dockerfile").read_text()
    final = df[df.rfind("\nFROM "):]  # the runtime stage
    expose = re.findall(r"^EXPOSE\s+(\d+)", final, re.M)
    check("Dockerfile EXPOSE is the pod's container port", expose and int(expose[-1]) in ports.values(),
          f"{expose} vs {ports}")
    user = re.findall(r"^USER\s+(\d+)", final, re.M)
    sc = pod["spec"].get("securityContext", {})
    check("Dockerfile USER is the pod's runAsUser", user and int(user[-1]) == sc.get("runAsUser"),
          f"{user} vs {sc.get('runAsUser')}")
    cmd = re.findall(r"^CMD\s+(\[.*\])", final, re.M)
    check("Dockerfile CMD is the pod's args", cmd and yaml.safe_load(cmd[-1]) == ctr["args"],
          f"{cmd} vs {ctr['args']}")
    hc = re.search(r"^HEALTHCHECK(?:[^\n]*\\\n)*[^\n]*", final, re.M)  # with its continuation lines
    check("Dockerfile HEALTHCHECK asks /health on the served port",
          hc and f":{ctr['args'][ctr['args'].index('--port') + 1]}/health" in hc.group(0),
          hc.group(0) if hc else "no HEALTHCHECK")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "deploy"))
