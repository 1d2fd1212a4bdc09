"""The Docker image and compose file, as far as they can be checked without a container engine
(none runs on the development machines; hadolint lints the Dockerfile in `make test`)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.support import LiveServer, free_port

ROOT = Path(__file__).resolve().parent.parent
VOLUME = "/data"


def image_environment() -> dict[str, str]:
    """The variables the Dockerfile's ENV instructions set."""
    dockerfile = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    variables: dict[str, str] = {}
    for line in dockerfile.splitlines():
        if line.startswith("ENV "):
            variables |= dict(re.findall(r"(\w+)=(\S+)", line))
    return variables


def test_compose_gives_the_secret_no_public_default() -> None:
    compose = (ROOT / "docker-compose.yml").read_text()
    defaults = re.findall(r"\$\{FEEDBACK_SECRET:?-([^}]*)\}", compose)
    assert defaults == [""]
    assert f"FEEDBACK_SECRET_FILE: {VOLUME}/secret" in compose
    assert f"app-data:{VOLUME}" in compose


def test_image_keeps_its_generated_secret_in_the_volume() -> None:
    assert f"VOLUME {VOLUME}" in (ROOT / "Dockerfile").read_text()
    assert image_environment()["FEEDBACK_SECRET_FILE"] == f"{VOLUME}/secret"


def test_the_image_environment_generates_a_secret_on_first_start_and_reuses_it(tmp_path: Path) -> None:
    """The image's environment with its volume at `tmp_path`, and no secret given."""
    env = {name: value.replace(VOLUME, str(tmp_path)) for name, value in image_environment().items()}
    env = os.environ | env | {"REDIS_URL": "", "FEEDBACK_SECRET": ""}
    command = [sys.executable, "-m", "feedback", "site", "list"]
    subprocess.run(command, env=env, check=True, capture_output=True)
    secret = (tmp_path / "secret").read_text()
    assert len(secret.strip()) >= 40
    subprocess.run(command, env=env, check=True, capture_output=True)
    assert (tmp_path / "secret").read_text() == secret


async def test_the_image_health_check_asks_the_server_whether_it_serves(live: LiveServer) -> None:
    dockerfile = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    (instruction,) = re.findall(r"^HEALTHCHECK .* CMD (\[.*\])$", dockerfile, re.MULTILINE)
    command = json.loads(instruction.replace("127.0.0.1:8000", live.url.removeprefix("http://")))
    assert command[0] == "python" and "/healthz" in command[-1]
    serving = await asyncio.create_subprocess_exec(sys.executable, *command[1:])
    assert await serving.wait() == 0
    elsewhere = json.loads(instruction.replace("127.0.0.1:8000", f"127.0.0.1:{free_port()}"))
    nobody = await asyncio.create_subprocess_exec(sys.executable, *elsewhere[1:], stderr=asyncio.subprocess.DEVNULL)
    assert await nobody.wait() != 0
