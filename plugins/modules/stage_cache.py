#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: stage_cache
short_description: Cache keys, manifests and provenance of a pipeline stage
version_added: 0.1.0
description:
  - C(state=check) computes the stage's cache key from I(inputs) (values, and the sha256 of files and
    volumes) and reports C(hit=true) only when the stage's manifest has the same key, every recorded output
    still has its sha256 (a corrupted artifact is never reused), and the stage is not forced.
  - When the stage is not cached, its manifest is set aside as C(STAGE.previous.json) (kept for the ETA of
    the next run), so that a run that fails in the stage never leaves it looking done. That is the task's
    change (C(changed=true)); in check mode it is only reported.
  - C(state=record) writes the stage's manifest - key, inputs, outputs with their sha256, timings, tool
    versions, the digests of its log files, and anything in I(extra).
author: Buildstrap developers (!UNKNOWN)
options:
  stage:
    description: Stage name.
    type: str
    required: true
  stages:
    description: All stages of the recipe, in order (forcing a stage forces the ones after it).
    type: list
    elements: str
    required: true
  state:
    description: C(check) or C(record).
    type: str
    choices: [check, record]
    default: check
  inputs:
    description: "Inputs: plain values, C({file: path}) or C({volume: name, pool: name})."
    type: dict
    default: {}
  outputs:
    description:
      - "With C(state=record), the outputs: C({file: path}), C({volume: name, pool: name}), or C({url: URL})
        for what a server serves (a feed's C(Packages); with C(sha256) when the caller already verified it)."
      - A later C(state=check) re-reads each output (a URL is fetched again) and reruns the stage when one
        changed.
    type: dict
    default: {}
  manifest_dir:
    description: Directory of the recipe's stage manifests.
    type: path
    required: true
  force:
    description: Stages to run again even when cached (C(all) for every stage).
    type: list
    elements: str
    default: []
  started:
    description: With C(state=record), when the stage started (seconds since the epoch).
    type: float
  logs:
    description: With C(state=record), log files whose sha256 goes into the manifest.
    type: list
    elements: path
    default: []
  extra:
    description: With C(state=record), more facts for the manifest (recipe, accelerator, progress count).
    type: dict
    default: {}
  uri:
    description: libvirt URI for volume inputs and outputs.
    type: str
    default: qemu:///system
"""

EXAMPLES = r"""
- name: Is stage 1 cached?
  aloofix.buildstrap.stage_cache:
    stage: stage1
    stages: "{{ buildstrap.stages }}"
    manifest_dir: "{{ buildstrap.manifest_dir }}"
    inputs:
      recipe: "{{ buildstrap.stage1 }}"
      tree: "{{ buildstrap.source_digest }}"
  register: stage1_cache
"""

RETURN = r"""
hit:
  description: The stage can be skipped.
  returned: state=check
  type: bool
reason:
  description: Why the stage runs (or that it is cached).
  returned: state=check
  type: str
key:
  description: The stage's cache key.
  returned: always
  type: str
manifest:
  description: The manifest (the cached one for a hit, the new one after record).
  returned: on a hit, and after record
  type: dict
previous_seconds:
  description: How long the stage took last time it ran (for an ETA).
  returned: state=check
  type: float
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import BuildstrapError, failure
from ansible_collections.aloofix.buildstrap.plugins.module_utils.pipeline import cache
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import api


class _Volumes:
    """sha256 of volumes through libvirt's stream API (None when the volume does not exist)."""

    def __init__(self, uri: str):
        self.uri = uri
        self._conn = None

    def __call__(self, spec: dict):
        if self._conn is None:
            self._conn = api.open_connection(self.uri)
        pool = api.lookup_pool(self._conn, spec.get("pool") or api.DEFAULT_POOL)
        vol = api.lookup_volume(pool, spec["volume"]) if pool is not None else None
        return None if vol is None else api.download_volume(self._conn, vol, None)[1]

    def close(self):
        if self._conn is not None:
            self._conn.close()


def _tools(uri: str) -> dict:
    from importlib.metadata import PackageNotFoundError, version

    from ansible.module_utils.ansible_release import __version__ as ansible_version

    tools = {"ansible-core": ansible_version}
    for package in ("pycdlib", "paramiko", "libvirt-python"):
        try:
            tools[package] = version(package)
        except PackageNotFoundError:
            tools[package] = None
    with api.connection(uri) as conn:
        info = api.hypervisor_info(conn)
    tools["libvirt"] = info["libvirt"]
    tools["qemu"] = info["hypervisor"]
    return tools


def main() -> None:
    module = AnsibleModule(argument_spec={
        "stage": {"type": "str", "required": True},
        "stages": {"type": "list", "elements": "str", "required": True},
        "state": {"type": "str", "default": "check", "choices": ["check", "record"]},
        "inputs": {"type": "dict", "default": {}},
        "outputs": {"type": "dict", "default": {}},
        "manifest_dir": {"type": "path", "required": True},
        "force": {"type": "list", "elements": "str", "default": []},
        "started": {"type": "float"},
        "logs": {"type": "list", "elements": "path", "default": []},
        "extra": {"type": "dict", "default": {}},
        "uri": {"type": "str", "default": "qemu:///system"},
    }, supports_check_mode=True)
    p = module.params
    volumes = _Volumes(p["uri"])
    try:
        checked = cache.check(p["stage"], p["stages"], p["inputs"], p["manifest_dir"], p["force"], volumes)
        if p["state"] == "check":
            # A miss sets the stage's manifest aside (it is no longer done): a change, which check mode only reports.
            invalidates = not checked["hit"] and cache.has_manifest(p["manifest_dir"], p["stage"])
            if invalidates and not module.check_mode:
                cache.invalidate(p["manifest_dir"], p["stage"])
            module.exit_json(changed=invalidates, cache_hit=checked["hit"], **checked)
        if module.check_mode:
            module.exit_json(changed=True, key=checked["key"])
        extra = dict(p["extra"], tools=_tools(p["uri"]))
        recorded = cache.record(p["stage"], checked["key"], checked["resolved_inputs"], p["outputs"], volumes,
                                p["started"] or time.time(), p["manifest_dir"], extra, p["logs"])
        module.exit_json(changed=True, key=checked["key"], **recorded)
    except (BuildstrapError, OSError) as exc:
        module.fail_json(**failure(exc))
    finally:
        volumes.close()


if __name__ == "__main__":
    main()
