"""serve_process.py — runs `ipfs-accelerate serve` for a test: on a free
port (port 0, read back from its "listening on" line), waits for /health,
and stops it with SIGTERM, returning its exit code and log."""
from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Optional, Sequence, Tuple


class ServeProcess:
    def __init__(self, cli: Path, models: Sequence[str], *extra: str, wait_ready: bool = True,
                 timeout: float = 60.0) -> None:
        self.log = tempfile.NamedTemporaryFile(prefix="serve-", suffix=".log", delete=False)
        args = [str(cli), "serve", "--port", "0"]
        for m in models:
            args += ["--model", m]
        args += list(extra)
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        self.port = self._read_port(timeout)
        self.base = f"http://127.0.0.1:{self.port}"
        if wait_ready:
            self.wait_health(200, timeout)

    def _read_port(self, timeout: float) -> int:
        end = time.time() + timeout
        while time.time() < end:
            m = re.search(r"listening on http://[^:]+:(\d+)", self.text())
            if m:
                return int(m.group(1))
            if self.proc.poll() is not None:
                raise RuntimeError(f"serve exited {self.proc.returncode}: {self.text()}")
            time.sleep(0.02)
        raise RuntimeError(f"serve did not start: {self.text()}")

    def text(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def wait_health(self, want: int, timeout: float = 60.0) -> None:
        end = time.time() + timeout
        while time.time() < end:
            if self.request("GET", "/health")[0] == want:
                return
            time.sleep(0.02)
        raise RuntimeError(f"/health never answered {want}: {self.text()}")

    def request(self, method: str, path: str, body: Any = None, raw: Optional[bytes] = None,
                timeout: float = 60.0) -> Tuple[int, Any, dict]:
        """(status, parsed JSON or text, headers)."""
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                status, payload, headers = resp.status, resp.read(), dict(resp.headers)
        except urllib.error.HTTPError as e:
            status, payload, headers = e.code, e.read(), dict(e.headers)
        except (ConnectionError, urllib.error.URLError):
            return 0, None, {}
        try:
            return status, json.loads(payload), headers
        except ValueError:
            return status, payload.decode(errors="replace"), headers

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def stop(self, timeout: float = 60.0) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode

    def close(self) -> None:
        self.stop()
        try:
            os.unlink(self.log.name)
        except OSError:
            pass
