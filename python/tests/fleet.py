"""Real coordinator and worker processes on loopback for the external-mode tests."""
import os
import subprocess
import time

from conftest import PIPELINE, free_port


class Fleet:
    def __init__(self, tmp, workers=2):
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.config = os.path.join(tmp, f"fleet-{self.port}.yaml")
        with open(self.config, "w") as f:
            f.write(f"coordinator:\n  host: 127.0.0.1\n  port: {self.port}\n  state_store_type: memory\n"
                    "  heartbeat_interval: 0.5\n  heartbeat_timeout: 2\n  retry_backoff: 0.1\n"
                    "  max_retry_backoff: 0.5\nworkers:\n  - name: p\n    num_processes: 1\n")
        self.procs = []
        self.logs = []
        self._start("coordinator", ["coordinator", "-c", self.config, "--host", "127.0.0.1", "--port", str(self.port)],
                    tmp)
        self._wait_log(0, "started successfully")
        for i in range(workers):
            self._start(f"w{i}", ["worker", "-c", self.config, "--coordinator", self.address, "--worker-id",
                                  f"w{i}"], tmp)

    def _start(self, name, args, tmp):
        log = os.path.join(tmp, f"{name}-{self.port}.log")
        self.logs.append(log)
        with open(log, "w") as out:
            self.procs.append(subprocess.Popen([PIPELINE] + args, stdout=out, stderr=subprocess.STDOUT))

    def _wait_log(self, i, text, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.logs[i]) as f:
                if text in f.read():
                    return
            if self.procs[i].poll() is not None:
                break
            time.sleep(0.05)
        with open(self.logs[i]) as f:
            raise AssertionError(f"'{text}' not in {self.logs[i]}: {f.read()}")

    def wait_workers(self, client, n, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ws = client.list_workers()
            if sum(w["status"] == "active" for w in ws) >= n:
                return ws
            time.sleep(0.05)
        raise AssertionError(f"{n} workers did not register: {client.list_workers()}")

    def stop(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
