"""Three Elasticsearch nodes on this machine, from the distribution ``scripts/es-node`` fetches.

Each node has its own directory (data, logs, pid), a free HTTP and transport
port, and is master-eligible, so the cluster keeps a quorum when one is
killed. A killed node restarts on the same ports and data and rejoins.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

from tests.es_node import script

HEAP = os.environ.get("ES_CLUSTER_HEAP", "384m")


class ClusterNode:
    def __init__(self, name: str, node_dir: Path, http_port: int, transport_port: int):
        self.name, self.dir, self.http_port, self.transport_port = name, node_dir, http_port, transport_port
        self.url = f"http://127.0.0.1:{http_port}"

    def start(self, seeds: list[str], masters: list[str]) -> None:
        es = script.fetch()
        conf = self.dir / "config"
        if not conf.exists():
            shutil.copytree(es / "config", conf)
        settings = {
            "cluster.name": "voclens-cluster-test", "node.name": self.name,
            "path.data": str(self.dir / "data"), "path.logs": str(self.dir / "logs"),
            "network.host": "127.0.0.1", "http.port": str(self.http_port),
            "transport.port": str(self.transport_port), "discovery.seed_hosts": ",".join(seeds),
            "cluster.initial_master_nodes": ",".join(masters), "xpack.security.enabled": "false",
            "cluster.routing.allocation.disk.threshold_enabled": "false",
            "action.destructive_requires_name": "false",
        }
        env = dict(os.environ, ES_PATH_CONF=str(conf), ES_JAVA_HOME=script.java_home(),
                   ES_JAVA_OPTS=f"-Xms{HEAP} -Xmx{HEAP}")
        env.pop("JAVA_HOME", None)
        cmd = [str(es / "bin" / "elasticsearch"), "-d", "-p", str(self.dir / "es.pid")]
        if os.geteuid() == 0:
            cmd = ["unshare", "--user", "--map-user=1000", "--map-group=1000", *cmd]
        cmd += [f"-E{k}={v}" for k, v in settings.items()]
        result = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if result.returncode != 0:
            raise OSError(f"node {self.name} failed to start: {result.stdout[-3000:]}")

    def pid(self) -> int | None:
        try:
            return int((self.dir / "es.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def kill(self) -> None:
        """SIGKILL: the node disappears without a goodbye, as a crashed machine does."""
        pid = self.pid()
        if pid:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            (self.dir / "es.pid").unlink(missing_ok=True)

    def stop(self) -> None:
        pid = self.pid()
        if pid:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                return
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)
                except OSError:
                    return
                time.sleep(0.2)
            self.kill()


class Cluster:
    def __init__(self, base: Path, size: int = 3):
        self.nodes = [ClusterNode(f"node-{i}", base / f"node-{i}", script.free_port(), script.free_port())
                      for i in range(size)]
        self.seeds = [f"127.0.0.1:{n.transport_port}" for n in self.nodes]
        self.masters = [n.name for n in self.nodes]

    @property
    def urls(self) -> list[str]:
        return [n.url for n in self.nodes]

    def start(self, timeout: float = 300) -> None:
        for node in self.nodes:
            node.start(self.seeds, self.masters)
        self.wait(len(self.nodes), "green", timeout)

    def restart(self, node: ClusterNode, timeout: float = 300) -> None:
        node.start(self.seeds, self.masters)
        self.wait(len(self.nodes), "green", timeout)

    def health(self, via: list[str] | None = None) -> dict | None:
        for url in via or self.urls:
            try:
                with urllib.request.urlopen(f"{url}/_cluster/health", timeout=3) as resp:
                    return json.loads(resp.read())
            except OSError:
                continue
        return None

    def wait(self, nodes: int, status: str, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        order = {"red": 0, "yellow": 1, "green": 2}
        while time.monotonic() < deadline:
            h = self.health()
            if h and h["number_of_nodes"] == nodes and order[h["status"]] >= order[status]:
                return h
            time.sleep(1)
        logs = ""
        for node in self.nodes:
            for f in sorted((node.dir / "logs").glob("*.log")):
                logs += f"\n--- {f.name}\n" + f.read_text(errors="replace")[-1500:]
        raise TimeoutError(f"cluster not {status} with {nodes} nodes after {timeout:.0f}s: {self.health()}{logs}")

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
