"""Installing Flink: wrong FLINK_HOME, missing Java or javac, no disk space, and the download path itself.

The download tests run against an HTTP-level fake package index on 127.0.0.1 that serves the real PEP 691 JSON and
PEP 503 HTML wire formats with tiny wheels, so they are fast and need no network.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import stat
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from scaletui.errors import PlatformError
from scaletui.events import EventBus, Progress
from scaletui.flink.install import FlinkHome, FlinkInstall, check_home, find_java, require_javac


def _wheel(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o644 << 16  # no exec bits: the installer must add them to bin/
            z.writestr(info, text)
    return buf.getvalue()


PLATFORM = _wheel(
    {
        "pyflink/bin/jobmanager.sh": "#!/bin/sh\n",
        "pyflink/bin/bash-java-utils.jar": "jar",
        "pyflink/conf/config.yaml": "rest:\n  address: localhost\n",
        "pyflink/version.py": "__version__ = '2.3.0'\n",
    }
)
LIBRARIES = _wheel({"pyflink/lib/flink-dist-2.3.0.jar": "jar", "pyflink/plugins/README.txt": "plugins"})
WHEELS = {
    "apache-flink": ("apache_flink-2.3.0-cp311-cp311-manylinux2014_x86_64.whl", PLATFORM),
    "apache-flink-libraries": ("apache_flink_libraries-2.3.0-py2.py3-none-any.whl", LIBRARIES),
}


class FakeIndex(BaseHTTPRequestHandler):
    html = False

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        parts = self.path.strip("/").split("/")
        if parts[0] == "simple" and len(parts) == 2 and parts[1] in WHEELS:
            name, data = WHEELS[parts[1]]
            sha = hashlib.sha256(data).hexdigest()
            if self.html:
                body = f'<html><body><a href="/files/{name}#sha256={sha}">{name}</a></body></html>'.encode()
                ctype = "text/html"
            else:
                files = [{"filename": name, "url": f"/files/{name}", "hashes": {"sha256": sha}, "size": len(data)}]
                body = json.dumps({"meta": {"api-version": "1.1"}, "files": files}).encode()
                ctype = "application/vnd.pypi.simple.v1+json"
        elif parts[0] == "files" and len(parts) == 2:
            body = next(d for n, d in WHEELS.values() if n == parts[1])
            ctype = "application/octet-stream"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(params=[False, True], ids=["json", "html"])
def index_url(request: pytest.FixtureRequest) -> Iterator[str]:
    handler = type("Handler", (FakeIndex,), {"html": request.param})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/simple"
    server.shutdown()
    server.server_close()


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FLINK_HOME", "UV_DEFAULT_INDEX", "UV_INDEX_URL")}
    env.update(extra)
    return env


def test_download_unpacks_a_flink_home_with_exec_bits(tmp_path: Path, index_url: str) -> None:
    bus = EventBus()
    seen: list[Progress] = []
    bus.subscribe(lambda e: seen.append(e), Progress)  # type: ignore[arg-type, return-value]
    home = FlinkInstall(tmp_path, bus=bus, env=_env(PIP_INDEX_URL=index_url)).ensure()
    assert home.path == tmp_path / "flink" / "2.3.0"
    assert home.version == "2.3.0" and (home.path / "VERSION").read_text().strip() == "2.3.0"
    assert (home.lib / "flink-dist-2.3.0.jar").is_file()
    assert not (home.path / "version.py").exists(), "the Python package is not part of FLINK_HOME"
    assert (home.bin / "jobmanager.sh").stat().st_mode & stat.S_IXUSR
    assert any(p.step.startswith("download") for p in seen) and seen[-1].done
    assert not list((tmp_path / "flink" / "downloads").glob("*.whl")), "wheels are removed after unpacking"
    again = FlinkInstall(tmp_path, env=_env(PIP_INDEX_URL="http://127.0.0.1:9/simple")).ensure()
    assert again.path == home.path, "a second ensure() uses the cache and never touches the index"


def test_unreachable_index_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(PlatformError, match="Could not reach the package index") as err:
        FlinkInstall(tmp_path, env=_env(PIP_INDEX_URL="http://127.0.0.1:9/simple")).ensure()
    assert "FLINK_HOME" in err.value.hint


def test_no_disk_space(tmp_path: Path, index_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "disk_usage", lambda _p: shutil._ntuple_diskusage(10**9, 10**9 - 1000, 1000))  # type: ignore[attr-defined]
    with pytest.raises(PlatformError, match="Not enough disk space"):
        FlinkInstall(tmp_path, env=_env(PIP_INDEX_URL=index_url)).ensure()


def test_flink_home_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(PlatformError, match="is not a directory"):
        FlinkInstall(tmp_path, env=_env(FLINK_HOME=str(tmp_path / "nowhere"))).ensure()


def test_flink_home_that_is_not_flink(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    with pytest.raises(PlatformError, match="is not a Flink distribution") as err:
        FlinkInstall(tmp_path / "cache", env=_env(FLINK_HOME=str(tmp_path))).ensure()
    assert "bin/bash-java-utils.jar" in err.value.message


def test_flink_home_of_flink_1(tmp_path: Path) -> None:
    for rel in ("bin/bash-java-utils.jar", "conf/config.yaml", "lib/flink-dist-1.18.1.jar"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("")
    with pytest.raises(PlatformError, match="holds Flink 1.18.1"):
        check_home(tmp_path, "FLINK_HOME")


def test_missing_java(tmp_path: Path) -> None:
    with pytest.raises(PlatformError, match="Java was not found"):
        find_java({"PATH": str(tmp_path)})


def test_missing_javac(tmp_path: Path) -> None:
    home = FlinkHome(tmp_path, "2.3.0", Path("/usr/bin/java"), None)
    with pytest.raises(PlatformError, match="javac was not found"):
        require_javac(home)
