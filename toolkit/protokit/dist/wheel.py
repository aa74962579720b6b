"""A published wheel as a baseline: the descriptor image it carries.

``--against`` takes a wheel file (``dist/acme_contracts-1.0.0-py3-none-any.whl``) or a
distribution spec (``acme-contracts==1.0.0``), downloaded with ``pip download --no-deps`` from
``[tool.protokit] index_url`` (pip's own configuration when unset).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from protokit.core.descriptors import Image, load_image_bytes
from protokit.core.errors import ProtokitError
from protokit.core.workspace import Workspace
from protokit.tools import pypa

_SPEC = re.compile(
    r"^(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)==(?P<version>[\w.+!-]+)$"
)
MAX_IMAGE_BYTES = 256 * 1024 * 1024


def is_wheel_baseline(against: str) -> bool:
    return against.endswith(".whl") or _SPEC.match(against) is not None


def wheel_image(path: Path, shown: str) -> Image:
    """The descriptor image inside a protokit-built wheel (``<module>/image.binpb``)."""
    # Imported here: the wheel's layout brings the generator's model and Jinja, which only a
    # wheel baseline needs (`is_wheel_baseline` is asked of every baseline).
    from protokit.dist.metadata import IMAGE_NAME

    if not path.is_file():
        raise ProtokitError("no such wheel file", path=shown)
    try:
        with zipfile.ZipFile(path) as archive:
            images = [
                info
                for info in archive.infolist()
                if info.filename.count("/") == 1 and info.filename.endswith(f"/{IMAGE_NAME}")
            ]
            if not images:
                raise ProtokitError(
                    f"the wheel carries no descriptor image (<module>/{IMAGE_NAME}); only "
                    "wheels built by `protokit build` can be a baseline",
                    path=shown,
                )
            if images[0].file_size > MAX_IMAGE_BYTES:
                raise ProtokitError("the wheel's descriptor image is too large", path=shown)
            data = archive.read(images[0])
    except (zipfile.BadZipFile, OSError) as exc:
        raise ProtokitError(f"not a wheel (zip) file: {exc}", path=shown) from exc
    return load_image_bytes(data, f"{shown}!{images[0].filename}")


def download_spec(ws: Workspace, spec: str, dest: Path) -> Path:
    """``pip download`` the wheel of ``NAME==VERSION`` into ``dest``; its path."""
    if _SPEC.match(spec) is None:
        raise ProtokitError(f"{spec!r} is not a distribution spec NAME==VERSION")
    proc = pypa.pip_download(spec, dest, ws.settings.index_url or None)
    wheels = sorted(dest.glob("*.whl"))
    if proc.returncode != 0 or not wheels:
        where = ws.settings.index_url or "pip's configured index"
        raise ProtokitError(
            f"could not download {spec} from {where}: {pypa.last_line(proc)}"
            if proc.returncode != 0
            else f"{spec} has no wheel on {where}"
        )
    return wheels[0]
