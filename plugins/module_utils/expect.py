# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The expect engine shared by console sessions (libvirt streams) and SSH sessions (paramiko channels).

A transport feeds received bytes with ``feed()`` and implements ``_write()``/``_shutdown()``. The engine keeps
the cleaned text, matches regexes after a cursor, types with pacing, and writes a transcript in which every
secret is masked.
"""

from __future__ import annotations

import re
import threading
import time

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import WaitTimeout

# Busybox's bb_ask (passwd, su) flushes pending terminal input around printing its prompt (tcflush TCIFLUSH):
# an answer typed ahead, or sent the instant the prompt shows, can be thrown away and the program then waits
# forever. Answers go out only once the prompt has appeared AND the output has been quiet this long.
ANSWER_QUIET = 0.5
_ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Za-z0-9]|\x1b[=>78c]|\x0f|\x0e")
MASK = "********"


def clean_text(text: str) -> str:
    """Terminal bytes as a person would read them: no ANSI escapes, no carriage returns."""
    return _ANSI_RE.sub("", text).replace("\r\n", "\n").replace("\r", "\n")


class ExpectSession:
    """Base of a dialogue with a guest. Subclasses connect a transport; use as a context manager."""

    label = "session"

    def __init__(self, name: str, transcript: str | None = None, secrets=()):
        self.name = name
        self._secrets = [str(s) for s in secrets if s]
        self._cond = threading.Condition()
        self._text = ""  # everything received, cleaned (no ANSI escapes, \n line ends)
        self._raw_tail = ""  # received but not yet cleaned: a possibly incomplete escape sequence or \r
        self._cursor = 0  # expect() searches self._text from here
        self._closed = False
        self._last_output = time.monotonic()
        self._pending_line = ""
        self._transcript = open(transcript, "a", encoding="utf-8") if transcript else None

    # transport side -------------------------------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        with self._cond:
            raw = self._raw_tail + data.decode("utf-8", errors="replace")
            # Hold back what may be the start of an escape sequence or of a \r\n split across reads.
            hold = len(raw)
            esc = raw.rfind("\x1b", max(0, len(raw) - 16))
            if esc != -1 and not _ANSI_RE.match(raw, esc):
                hold = esc
            elif raw.endswith("\r"):
                hold = len(raw) - 1
            self._raw_tail = raw[hold:]
            chunk = clean_text(raw[:hold])
            self._text += chunk
            self._last_output = time.monotonic()
            self._cond.notify_all()
        if self._transcript and chunk:
            self._pending_line += chunk
            *lines, self._pending_line = self._pending_line.split("\n")
            for line in lines:
                self._transcript.write(self.mask(line) + "\n")
            self._transcript.flush()

    def mark_closed(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def _write(self, data: bytes) -> None:
        raise NotImplementedError

    def _shutdown(self) -> None:
        raise NotImplementedError

    # caller side ----------------------------------------------------------------------------------------
    @property
    def closed(self) -> bool:
        return self._closed

    def mask(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text

    def add_secret(self, secret: str) -> None:
        if secret and secret not in self._secrets:
            self._secrets.append(secret)

    def note(self, message: str) -> None:
        """A line of Buildstrap's own in the transcript (what was sent, which step), masked."""
        if self._transcript:
            self._transcript.write(f"\n[buildstrap {time.strftime('%H:%M:%S')}] {self.mask(message)}\n")
            self._transcript.flush()

    @property
    def text(self) -> str:
        with self._cond:
            return self._text

    def screen(self, lines: int = 20) -> str:
        """The last lines of output, cleaned and masked: what a failure message quotes."""
        shown = self.text.split("\n")
        while shown and not shown[-1].strip():
            shown.pop()
        return self.mask("\n".join(shown[-lines:]))

    def expect(self, patterns, timeout: float, what: str | None = None):
        """Wait for the first of ``patterns`` (regexes) in output not yet consumed; return (index, match)."""
        if isinstance(patterns, (str, re.Pattern)):
            patterns = [patterns]
        compiled = [p if isinstance(p, re.Pattern) else re.compile(p, re.MULTILINE) for p in patterns]
        what = what or " or ".join(repr(p.pattern) for p in compiled)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                best = None
                for index, regex in enumerate(compiled):
                    match = regex.search(self._text, self._cursor)
                    if match and (best is None or match.start() < best[1].start()):
                        best = (index, match)
                if best:
                    self._cursor = best[1].end()
                    return best
                remaining = deadline - time.monotonic()
                if self._closed:
                    raise WaitTimeout(f"the {self.label} of {self.name} closed while waiting for {what}",
                                      self.screen())
                if remaining <= 0:
                    raise WaitTimeout(f"timed out after {timeout:.0f}s on the {self.label} of {self.name} "
                                      f"waiting for {what}", self.screen())
                self._cond.wait(min(remaining, 1.0))

    def send(self, text: str, pace: float = 0.0, secret: bool = False) -> None:
        """Type ``text``; with ``pace``, one character at a time (slow guests drop fast typing)."""
        if secret:
            self.add_secret(text.rstrip("\r\n"))
            self.note("sent a secret")
        else:
            self.note(f"sent {text!r}")
        data = text.encode()
        if not pace:
            self._write(data)
            return
        for i in range(len(data)):
            self._write(data[i:i + 1])
            time.sleep(pace)

    def sendline(self, line: str = "", pace: float = 0.0, secret: bool = False) -> None:
        self.send(line + "\r", pace=pace, secret=secret)

    def wait_quiet(self, quiet: float = ANSWER_QUIET, limit: float = 10.0) -> float:
        """Wait until nothing has arrived for ``quiet`` seconds (at most ``limit``); the seconds waited."""
        start = time.monotonic()
        with self._cond:
            while not self._closed:
                now = time.monotonic()
                idle = now - self._last_output
                if idle >= quiet or now - start >= limit:
                    break
                self._cond.wait(min(quiet - idle, limit - (now - start)))
        return time.monotonic() - start

    def answer(self, line: str, secret: bool = False, quiet: float = ANSWER_QUIET) -> None:
        """Answer a prompt that expect() just matched: after a quiet period, so a flush-after-prompt program
        (busybox passwd/su) cannot discard it."""
        self.wait_quiet(quiet)
        self.sendline(line, secret=secret)

    def close(self) -> None:
        if self._transcript:
            if self._pending_line:
                self._transcript.write(self.mask(self._pending_line) + "\n")
            self._transcript.close()
            self._transcript = None
        if not self._closed:
            self._shutdown()
            self._closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
