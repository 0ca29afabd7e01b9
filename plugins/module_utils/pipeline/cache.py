# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stage caching and provenance: a cache key per stage from its inputs, a manifest per stage with the
outputs' sha256, and verification that an output is still what the manifest says before it is reused."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import time

from ansible_collections.aloofix.buildstrap.plugins.module_utils.digest import file_sha256  # noqa: F401 - re-exported
from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError

MANIFEST_VERSION = 1


def url_sha256(url: str, timeout: float = 30) -> str | None:
    """sha256 of what a URL serves now (a build server's feed index), or None when it does not answer."""
    import urllib.error

    from ansible.module_utils.urls import open_url

    digest = hashlib.sha256()
    try:
        with open_url(url, timeout=timeout) as response:
            for chunk in iter(lambda: response.read(1 << 16), b""):
                digest.update(chunk)
    except (urllib.error.URLError, OSError, ValueError):
        return None
    return digest.hexdigest()


def cache_key(stage: str, inputs: dict) -> str:
    """sha256 over the stage name and its inputs (plain values, and digests of files and volumes)."""
    canonical = json.dumps({"stage": stage, "inputs": inputs, "v": MANIFEST_VERSION}, sort_keys=True,
                           separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def manifest_path(manifest_dir: str, stage: str) -> str:
    return os.path.join(manifest_dir, f"{stage}.json")


def read_manifest(manifest_dir: str, stage: str) -> dict | None:
    try:
        with open(manifest_path(manifest_dir, stage), encoding="utf-8") as handle:
            manifest = json.load(handle)
    except (OSError, ValueError):
        return None
    return manifest if manifest.get("version") == MANIFEST_VERSION else None


def has_manifest(manifest_dir: str, stage: str) -> bool:
    return os.path.exists(manifest_path(manifest_dir, stage))


def invalidate(manifest_dir: str, stage: str) -> None:
    """A stage that is about to run is no longer done: a run that fails in it must not leave it 'cached'.
    The old manifest stays as <stage>.previous.json, for the ETA of the next run."""
    path = manifest_path(manifest_dir, stage)
    if os.path.exists(path):
        os.replace(path, os.path.join(manifest_dir, f"{stage}.previous.json"))


def write_manifest(manifest_dir: str, stage: str, manifest: dict) -> str:
    os.makedirs(manifest_dir, exist_ok=True)
    path = manifest_path(manifest_dir, stage)
    tmp = f"{path}.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(dict(manifest, version=MANIFEST_VERSION), handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.replace(tmp, path)
    return path


def resolve_inputs(inputs: dict, volume_digest) -> dict:
    """Replace {file: path} with the file's sha256 and {volume: ...} with the volume's; keep values."""
    resolved = {}
    for name, value in sorted(inputs.items()):
        if isinstance(value, dict) and set(value) == {"file"}:
            if not os.path.isfile(value["file"]):
                raise SpecError(f"inputs.{name}", f"{value['file']} does not exist")
            resolved[name] = {"sha256": file_sha256(value["file"])}
        elif isinstance(value, dict) and "volume" in value:
            resolved[name] = {"sha256": volume_digest(value)}
        else:
            resolved[name] = value
    return resolved


def verify_outputs(manifest: dict, volume_digest) -> str | None:
    """None when every recorded output still has its sha256, else the reason it cannot be reused."""
    for name, output in sorted((manifest.get("outputs") or {}).items()):
        if "file" in output:
            if not os.path.isfile(output["file"]):
                return f"output {name} ({output['file']}) is missing"
            if file_sha256(output["file"]) != output["sha256"]:
                return f"output {name} ({output['file']}) does not match its sha256: corrupted, rebuilding"
        elif "volume" in output:
            digest = volume_digest(output)
            if digest is None:
                return f"output {name} (volume {output['volume']}) is missing"
            if digest != output["sha256"]:
                return f"output {name} (volume {output['volume']}) does not match its sha256: rebuilding"
        elif "url" in output:
            digest = url_sha256(output["url"])
            if digest is None:
                return f"output {name} ({output['url']}) does not answer"
            if digest != output["sha256"]:
                return f"output {name} ({output['url']}) serves something else than was recorded: running again"
    return None


def check(stage: str, stages: list[str], inputs: dict, manifest_dir: str, force: list[str],
          volume_digest) -> dict:
    """Whether ``stage`` can be skipped: same key as its manifest, outputs intact, not forced."""
    if stage not in stages:
        raise SpecError("stage", f"{stage!r} is not one of the recipe's stages ({', '.join(stages)})")
    for name in force:
        if name not in stages and name != "all":
            raise SpecError("buildstrap_force", f"{name!r} is not a stage; use one of {', '.join(stages)} or all")
    current = resolve_inputs(inputs, volume_digest)
    key = cache_key(stage, current)
    manifest = read_manifest(manifest_dir, stage)
    previous = manifest or read_manifest(manifest_dir, f"{stage}.previous")
    forced = "all" in force or any(stages.index(f) <= stages.index(stage) for f in force if f in stages)
    if forced:
        reason = "forced (buildstrap_force)"
    elif manifest is None:
        reason = "no manifest: first run of this stage"
    elif manifest.get("key") != key:
        before = manifest.get("inputs", {})
        changed = sorted(k for k in set(before) | set(current) if before.get(k) != current.get(k))
        reason = "inputs changed: " + ", ".join(changed)
    else:
        reason = verify_outputs(manifest, volume_digest)
    hit = reason is None
    return {"hit": hit, "key": key, "reason": reason or "cached: inputs unchanged and outputs verified",
            "manifest": manifest if hit else None,
            "previous_seconds": (previous or {}).get("timings", {}).get("seconds"),
            "previous_progress_total": (previous or {}).get("progress_total"),
            "resolved_inputs": current}


def record(stage: str, key: str, resolved_inputs: dict, outputs: dict, volume_digest, started: float,
           manifest_dir: str, extra: dict, log_files: list[str]) -> dict:
    recorded = {}
    for name, output in sorted(outputs.items()):
        if "file" in output:
            if not os.path.isfile(output["file"]):
                raise SpecError(f"outputs.{name}", f"{output['file']} does not exist; the stage did not produce it")
            recorded[name] = {"file": output["file"], "sha256": file_sha256(output["file"]),
                              "size": os.path.getsize(output["file"])}
        elif "volume" in output:
            digest = volume_digest(output)
            if digest is None:
                raise SpecError(f"outputs.{name}", f"volume {output['volume']} does not exist")
            recorded[name] = dict(output, sha256=digest)
        elif "url" in output:
            digest = output.get("sha256") or url_sha256(output["url"])
            if digest is None:
                raise SpecError(f"outputs.{name}", f"{output['url']} does not answer")
            recorded[name] = dict(output, sha256=digest)
    finished = time.time()
    manifest = {
        "stage": stage, "key": key, "inputs": resolved_inputs, "outputs": recorded,
        "timings": {"started": started, "finished": finished, "seconds": round(finished - started, 2)},
        "logs": {path: file_sha256(path) for path in sorted(log_files) if os.path.isfile(path)},
        "host": {"python": platform.python_version(), "machine": platform.machine()},
    }
    manifest.update(extra)
    path = write_manifest(manifest_dir, stage, manifest)
    return {"manifest_path": path, "manifest": manifest}
