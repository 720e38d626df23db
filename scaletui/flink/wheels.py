"""Find and download Flink's registry wheels through a PEP 691/503 simple index, with progress and hashes.

The venv is uv-made and has no pip, so we talk to the index directly with httpx; PIP_INDEX_URL, UV_INDEX_URL and
UV_DEFAULT_INDEX are honoured so a mirror works the same as pip would.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urljoin

import httpx

from scaletui.errors import PlatformError

DEFAULT_INDEX = "https://pypi.org/simple"
JSON_ACCEPT = "application/vnd.pypi.simple.v1+json, text/html;q=0.1"

ByteProgress = Callable[[int, int], None]
"""Called with (bytes done, bytes total) while a file downloads."""


@dataclass(frozen=True)
class WheelFile:
    filename: str
    url: str
    sha256: str | None
    size: int | None


def index_url(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    for key in ("UV_DEFAULT_INDEX", "UV_INDEX_URL", "PIP_INDEX_URL"):
        if env.get(key):
            return env[key].rstrip("/")
    return DEFAULT_INDEX


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


class _AnchorParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href")

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self.links.append((data.strip(), self._href))
            self._href = None


def list_files(client: httpx.Client, index: str, project: str) -> list[WheelFile]:
    """All files the index lists for `project` (JSON if the index speaks it, HTML otherwise)."""
    page = f"{index}/{normalise(project)}/"
    try:
        reply = client.get(page, headers={"Accept": JSON_ACCEPT}, follow_redirects=True)
    except httpx.HTTPError as e:
        raise PlatformError(
            f"Could not reach the package index {index} to download Flink ({e}).",
            "Check the network or set PIP_INDEX_URL to a reachable mirror, or set FLINK_HOME to an installed Flink.",
        ) from None
    if reply.status_code != 200:
        raise PlatformError(
            f"The package index {index} answered {reply.status_code} for {project}.",
            "Set PIP_INDEX_URL to an index that carries Flink's wheels, or set FLINK_HOME to an installed Flink.",
        )
    if "json" in reply.headers.get("content-type", ""):
        return [
            WheelFile(f["filename"], urljoin(page, f["url"]), f.get("hashes", {}).get("sha256"), f.get("size"))
            for f in reply.json()["files"]
        ]
    parser = _AnchorParser()
    parser.feed(reply.text)
    files = []
    for name, href in parser.links:
        url, fragment = urldefrag(urljoin(page, href))
        sha = fragment.split("=", 1)[1] if fragment.startswith("sha256=") else None
        files.append(WheelFile(name, url, sha, None))
    return files


def pick_wheel(files: list[WheelFile], project: str, version: str) -> WheelFile:
    """The wheel of `version`: pure if there is one, else this interpreter's Linux x86_64 build, else any."""
    prefix = f"{normalise(project).replace('-', '_')}-{version}-"
    wheels = [f for f in files if f.filename.endswith(".whl") and f.filename.lower().startswith(prefix)]
    if not wheels:
        raise PlatformError(
            f"The package index lists no wheel of {project} {version}.",
            "Set FLINK_HOME to an installed Flink, or point PIP_INDEX_URL at an index that has it.",
        )
    tag = f"cp{sys.version_info.major}{sys.version_info.minor}"

    def rank(f: WheelFile) -> tuple[int, int]:
        name = f.filename
        return (0 if "-none-any" in name else 1 if tag in name and "linux" in name else 2, len(name))

    return sorted(wheels, key=rank)[0]


def download(
    client: httpx.Client,
    wheel: WheelFile,
    target: Path,
    progress: ByteProgress,
    cancel: threading.Event | None = None,
) -> Path:
    """Stream `wheel` to `target` (via a .part file), verify its sha256; a complete valid file is kept as is."""
    if target.exists() and (wheel.sha256 is None or _sha256(target) == wheel.sha256):
        size = target.stat().st_size
        progress(size, size)
        return target
    part = target.with_name(target.name + ".part")
    digest = hashlib.sha256()
    try:
        with client.stream("GET", wheel.url, follow_redirects=True) as reply:
            reply.raise_for_status()
            total = int(reply.headers.get("content-length") or wheel.size or 0)
            done = 0
            with part.open("wb") as out:
                for chunk in reply.iter_bytes(1 << 20):
                    if cancel is not None and cancel.is_set():
                        raise PlatformError(f"Download of {wheel.filename} was cancelled.")
                    out.write(chunk)
                    digest.update(chunk)
                    done += len(chunk)
                    progress(done, total)
    except httpx.HTTPError as e:
        part.unlink(missing_ok=True)
        raise PlatformError(
            f"Downloading {wheel.filename} failed ({e}).", "Check the network and try again; the download resumes."
        ) from None
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    if wheel.sha256 and digest.hexdigest() != wheel.sha256:
        part.unlink(missing_ok=True)
        raise PlatformError(f"{wheel.filename} arrived damaged (sha256 mismatch).", "Try again.")
    part.replace(target)
    return target


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
