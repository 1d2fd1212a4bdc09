"""A Redis replication group watched by Sentinels, all real processes on loopback: a primary, a
replica, and three Sentinels quick to fail over (the quorum is two)."""

from __future__ import annotations

import subprocess
from functools import partial
from pathlib import Path

from redis import Redis as SyncRedis

from tests.support import RedisServer, free_port, wait_for_port
from tests.test_serve import wait_until

SERVICE = "feedback"
DOWN_AFTER_MS = 500
FAILOVER_TIMEOUT_MS = 3000


class SentinelGroup:
    def __init__(self, directory: Path) -> None:
        # A replica's first sync waits 5 s by default, for others to share it.
        quick_sync = ("--repl-diskless-sync-delay", "0")
        self.primary = RedisServer(directory / "primary", arguments=quick_sync)
        replica_of = ("--replicaof", "127.0.0.1", str(self.primary.port))
        self.replica = RedisServer(directory / "replica", arguments=quick_sync + replica_of)
        self.directory = directory
        self.sentinel_ports = [free_port() for _ in range(3)]
        self.sentinels: list[subprocess.Popen[bytes]] = []

    @property
    def url(self) -> str:
        hosts = ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports)
        return f"redis+sentinel://{hosts}/{SERVICE}/0"

    def start(self) -> None:
        self.primary.start()
        self.replica.start()
        wait_until(lambda: info(self.replica.port, "replication")["master_link_status"] == "up", "the replica syncs")
        # Each told of the replica and of the others up front: left to find them, they take seconds.
        ids = [f"{number + 1:040x}" for number in range(len(self.sentinel_ports))]
        for number, port in enumerate(self.sentinel_ports):
            config = self.directory / f"sentinel-{number}.conf"  # a Sentinel rewrites its own
            lines = [
                f"port {port}",
                "bind 127.0.0.1",
                f"dir {self.directory}",
                f"sentinel myid {ids[number]}",
                f"sentinel monitor {SERVICE} 127.0.0.1 {self.primary.port} 2",
                f"sentinel down-after-milliseconds {SERVICE} {DOWN_AFTER_MS}",
                f"sentinel failover-timeout {SERVICE} {FAILOVER_TIMEOUT_MS}",
                f"sentinel known-replica {SERVICE} 127.0.0.1 {self.replica.port}",
            ]
            lines += [
                f"sentinel known-sentinel {SERVICE} 127.0.0.1 {other} {ids[index]}"
                for index, other in enumerate(self.sentinel_ports)
                if other != port
            ]
            config.write_text("\n".join(lines) + "\n")
            command = ["redis-server", str(config), "--sentinel"]
            self.sentinels.append(subprocess.Popen(command, stdout=subprocess.DEVNULL))
        for port in self.sentinel_ports:
            wait_for_port(port)
            # Ready to fail over once each knows the replica and the other two.
            wait_until(partial(self._knows_the_group, port), f"the Sentinel on {port} knows the group")

    def _knows_the_group(self, port: int) -> bool:
        with SyncRedis(port=port, decode_responses=True) as sentinel:
            return len(sentinel.sentinel_slaves(SERVICE)) == 1 and len(sentinel.sentinel_sentinels(SERVICE)) == 2

    def primary_port(self) -> int:
        """The primary's port, as the first Sentinel tells it."""
        with SyncRedis(port=self.sentinel_ports[0], decode_responses=True) as sentinel:
            _, port = sentinel.sentinel_get_master_addr_by_name(SERVICE)
            return int(port)

    def stop(self) -> None:
        for sentinel in self.sentinels:
            sentinel.kill()
            sentinel.wait()
        self.primary.stop()
        self.replica.stop()


def info(port: int, section: str) -> dict[str, str]:
    with SyncRedis(port=port, decode_responses=True) as client:
        return {key: str(value) for key, value in client.info(section).items()}
