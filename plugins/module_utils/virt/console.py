# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Expect-style sessions over a domain's serial console, through libvirt's console stream.

The stream goes through the libvirt connection, so it works on a remote hypervisor (qemu+ssh) too, and with
``<on_reboot>restart</on_reboot>`` it survives guest reboots.
"""

from __future__ import annotations

import time

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import HypervisorError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.expect import ExpectSession
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import api


class ConsoleSession(ExpectSession):
    """One reader of a domain's serial console."""

    label = "console"

    def __init__(self, conn, dom, transcript: str | None = None, secrets=(), force: bool = True):
        super().__init__(dom.name(), transcript, secrets)
        self._libvirt = libvirt = api.libvirt
        try:
            self._stream = conn.newStream(libvirt.VIR_STREAM_NONBLOCK)
            dom.openConsole(None, self._stream, libvirt.VIR_DOMAIN_CONSOLE_FORCE if force else 0)
            self._stream.eventAddCallback(
                libvirt.VIR_STREAM_EVENT_READABLE | libvirt.VIR_STREAM_EVENT_ERROR | libvirt.VIR_STREAM_EVENT_HANGUP,
                self._on_event, None)
        except libvirt.libvirtError as exc:
            raise HypervisorError(f"opening the console of {self.name}: {exc.get_error_message()}") from None
        # The stream lives in the connection: when libvirtd goes away (a restart), the console ends with it, and
        # a waiter can tell that from the guest closing it (connection_lost) and connect again.
        self.connection_lost = False
        self._conn = conn
        try:
            conn.registerCloseCallback(self._on_connection_closed, None)
        except libvirt.libvirtError:  # the connection's one close callback is someone else's: keep theirs
            self._conn = None

    def _on_connection_closed(self, _conn, _reason, _opaque):
        """Runs on libvirt's event thread."""
        self.connection_lost = True
        self.mark_closed()

    def _on_event(self, stream, events, _opaque):
        """Runs on libvirt's event thread."""
        lv = self._libvirt
        if events & lv.VIR_STREAM_EVENT_READABLE:
            while True:
                try:
                    data = stream.recv(65536)
                except lv.libvirtError:
                    data = b""
                if data == -2:  # nothing more for now
                    break
                if not data:
                    self._stream_closed()
                    return
                self.feed(data)
        if events & (lv.VIR_STREAM_EVENT_ERROR | lv.VIR_STREAM_EVENT_HANGUP):
            self._stream_closed()

    def _stream_closed(self):
        self.mark_closed()
        try:
            self._stream.eventRemoveCallback()
        except self._libvirt.libvirtError:
            pass

    def _write(self, data: bytes) -> None:
        while data:
            try:
                sent = self._stream.send(data)
            except self._libvirt.libvirtError as exc:
                raise HypervisorError(f"writing to the console of {self.name}: {exc.get_error_message()}") from None
            if sent == -2:
                time.sleep(0.01)
                continue
            data = data[sent:]

    def _shutdown(self) -> None:
        calls = [self._stream.eventRemoveCallback, self._stream.abort]
        if self._conn is not None:
            calls.append(self._conn.unregisterCloseCallback)
        for call in calls:
            try:
                call()
            except self._libvirt.libvirtError:
                pass
