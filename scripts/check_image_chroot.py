#!/usr/bin/env python3
"""check_image_chroot.py [--work DIR] [--no-run] — builds deploy/Dockerfile
where there is no Docker daemon, and starts the image's command.

Each stage's base (debian:bookworm, debian:bookworm-slim) is a Debian 12
root made by debootstrap (--variant=minbase, what Docker's Debian images
are made from); the Dockerfile's own RUN, COPY, ENV, WORKDIR and USER lines
are then carried out in it with chroot, in order, so what is checked is the
recipe itself, not a copy of it. Then, in a private network namespace, the
last stage's ENTRYPOINT + CMD runs as its USER until its HEALTHCHECK
passes, and one POST /embed is sent.

Not Docker: no layers, no image, and Docker Hub's base images are not the
debootstrap roots (same Debian release and packages, not the same bytes).
Needs root, debootstrap, util-linux (unshare), iproute2, and the network
to Debian's archive, npm and PyPI (scripts/setup.sh runs in the build
stage). About 2-3 minutes here (plus debootstrap once); not part of `make test`.
"""
import argparse
import fnmatch
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BASES = {"debian:bookworm": "bookworm", "debian:bookworm-slim": "bookworm"}
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Runs argv chrooted in root $0 with /proc and /dev mounted in a private mount namespace.
IN_ROOT = 'mount -t proc proc "$0/proc" && mount --rbind /dev "$0/dev" && exec chroot "$@"'


def instructions(text):
    """(KEYWORD, rest) per instruction: continuations joined, comments dropped."""
    lines, cur = [], ""
    for line in text.splitlines():
        if line.lstrip().startswith("#") or (not line.strip() and not cur):
            continue
        if line.rstrip().endswith("\\"):
            cur += line.rstrip()[:-1] + " "
            continue
        lines.append(cur + line)
        cur = ""
    return [(l.split(None, 1)[0].upper(), l.split(None, 1)[1] if len(l.split(None, 1)) > 1 else "") for l in lines]


def context_files(ignore_file):
    """The build context: the checkout's files (git's view) less the ignore file's patterns."""
    pats = [p.strip().rstrip("/") for p in ignore_file.read_text().splitlines() if p.strip() and not p.startswith("#")]
    out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO, check=True,
                         capture_output=True).stdout.decode().split("\0")

    def ignored(path):
        parts = path.split("/")
        prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
        for p in pats:
            bare = p[3:] if p.startswith("**/") else None
            for pre in prefixes:
                if fnmatch.fnmatch(pre, p) or (bare and fnmatch.fnmatch(pre.split("/")[-1], bare)):
                    return True
        return False

    return [f for f in out if f and (REPO / f).exists() and not ignored(f)]


def sh(*argv, **kw):
    print("+", " ".join(shlex.quote(str(a)) for a in argv)[:300], flush=True)
    return subprocess.run([str(a) for a in argv], check=True, **kw)


def base_root(work, suite):
    root = work / f"base-{suite}"
    if not (root / ".complete").exists():
        shutil.rmtree(root, ignore_errors=True)
        sh("debootstrap", "--variant=minbase", suite, root, "http://deb.debian.org/debian", stdout=subprocess.DEVNULL)
        (root / ".complete").touch()
    return root


def expand(value, env):
    return re.sub(r"\$\{?(\w+)\}?", lambda m: env.get(m.group(1), ""), value)


class Stage:
    def __init__(self, root):
        self.root, self.env, self.workdir, self.user = root, {"PATH": DEFAULT_PATH, "HOME": "/root"}, "/", None
        self.meta = {}

    def chroot_argv(self, command, user=None):
        userspec = ["--userspec", user] if user else []
        env = [f"{k}={v}" for k, v in self.env.items()]
        return ["unshare", "--mount", "--propagation", "private", "sh", "-c", IN_ROOT, str(self.root),
                *userspec, str(self.root), "/usr/bin/env", "-i", *env, "/bin/sh", "-c",
                f"cd {shlex.quote(self.workdir)} && {command}"]


def trust(root, ca):
    """Where the host reaches PyPI and npm through a TLS-inspecting proxy,
    its CA bundle, for pip and npm in the root (Docker builds there need
    the same); apt uses plain http with signed indexes."""
    (root / "etc/ssl").mkdir(parents=True, exist_ok=True)
    shutil.copy(ca, root / "etc/ssl/host-ca-bundle.crt")
    (root / "etc/pip.conf").write_text("[global]\ncert = /etc/ssl/host-ca-bundle.crt\n")
    (root / "etc/npmrc").write_text("cafile=/etc/ssl/host-ca-bundle.crt\n")


def build(dockerfile, work, ca=None):
    stages, names = [], {}
    ctx = context_files(dockerfile.with_name(dockerfile.name + ".dockerignore"))
    for kw, rest in instructions(dockerfile.read_text()):
        if kw == "FROM":
            image, _, name = rest.partition(" AS ")
            suite = BASES[image.strip()]
            root = work / f"stage{len(stages)}"
            shutil.rmtree(root, ignore_errors=True)
            sh("cp", "-a", base_root(work, suite), root)
            cp = root / "etc/resolv.conf"
            cp.unlink(missing_ok=True)
            shutil.copy("/etc/resolv.conf", cp)
            if ca:
                trust(root, ca)
            st = Stage(root)
            stages.append(st)
            if name.strip():
                names[name.strip()] = st
            print(f"== stage {len(stages) - 1}: {image.strip()} ({suite} minbase) {name.strip()}", flush=True)
            continue
        st = stages[-1]
        if kw == "ENV":
            for tok in shlex.split(rest):
                k, _, v = tok.partition("=")
                st.env[k] = expand(v, st.env)
        elif kw == "WORKDIR":
            st.workdir = os.path.join(st.workdir, expand(rest.strip(), st.env))
            (st.root / st.workdir.lstrip("/")).mkdir(parents=True, exist_ok=True)
        elif kw == "COPY":
            args = shlex.split(rest)
            src_stage = None
            if args[0].startswith("--from="):
                src_stage = names[args.pop(0)[len("--from="):]]
            src, dest = args
            dest_path = st.root / os.path.join(st.workdir, dest).lstrip("/")
            if src_stage is None and src == ".":
                for f in ctx:
                    (dest_path / f).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(REPO / f, dest_path / f, follow_symlinks=False)
                print(f"+ COPY . {dest} ({len(ctx)} files of the context)", flush=True)
            else:
                dest_path.parent.mkdir(parents=True, exist_ok=True)
                sh("cp", "-a", src_stage.root / src.lstrip("/"), dest_path)
        elif kw == "RUN":
            sh(*st.chroot_argv(rest, st.user))
        elif kw == "USER":
            st.user = rest.strip()
        elif kw in ("EXPOSE", "HEALTHCHECK", "ENTRYPOINT", "CMD"):
            st.meta[kw] = rest.strip()
        elif kw not in ("LABEL", "ARG"):
            sys.exit(f"check_image_chroot: {kw} is not handled here")
    return stages[-1]


def run(st):
    """The image's command as its user in a private network namespace: wait
    for HEALTHCHECK, send one /embed, stop it with SIGTERM as Docker does."""
    import json
    argv = json.loads(st.meta["ENTRYPOINT"]) + json.loads(st.meta["CMD"])
    check = st.meta["HEALTHCHECK"].split(" CMD ", 1)[1]
    # exec: SIGTERM must reach the server, not a shell around it
    server = " ".join(shlex.quote(a) for a in st.chroot_argv("exec " + " ".join(shlex.quote(a) for a in argv), st.user))
    probe = " ".join(shlex.quote(a) for a in st.chroot_argv(check, st.user))
    embed = " ".join(shlex.quote(a) for a in st.chroot_argv(
        "curl -fsS -H 'Content-Type: application/json' -d '{\"inputs\": [\"hello from the image\"]}' "
        "http://127.0.0.1:8080/embed | cut -c1-120", st.user))
    script = f"""
ip link set lo up
{server} &
pid=$!
for i in $(seq 120); do
  if {probe}; then echo "HEALTHCHECK passed after ${{i}} tries"; ok=1; break; fi
  kill -0 $pid 2>/dev/null || {{ echo "the server exited"; exit 1; }}
  sleep 1
done
[ -n "${{ok:-}}" ] || {{ echo "HEALTHCHECK never passed"; kill $pid; exit 1; }}
{embed}
echo
kill -TERM $pid; wait $pid; echo "server exited with $? after SIGTERM"
"""
    sh("unshare", "--net", "sh", "-ec", script)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dockerfile", type=Path, default=REPO / "deploy/Dockerfile")
    ap.add_argument("--work", type=Path, default=Path("/tmp/ia-image-chroot"))
    ap.add_argument("--no-run", action="store_true", help="build only")
    ap.add_argument("--host-ca", default=os.environ.get("SSL_CERT_FILE"),
                    help="CA bundle for pip and npm in the build (default: $SSL_CERT_FILE)")
    a = ap.parse_args()
    if os.geteuid() != 0 or not shutil.which("debootstrap"):
        sys.exit("check_image_chroot: needs root and debootstrap (apt-get install debootstrap)")
    a.work.mkdir(parents=True, exist_ok=True)
    final = build(a.dockerfile.resolve(), a.work, a.host_ca)
    print(f"== built: last stage in {final.root}, user {final.user}", flush=True)
    if not a.no_run:
        run(final)


if __name__ == "__main__":
    main()
