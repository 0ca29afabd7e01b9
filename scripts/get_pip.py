"""Stand-in for ansible-test's get-pip bootstrap script, for machines that reach PyPI but not ci-files.

ansible-test creates each sanity test's virtual environment without pip, then runs
``~/.ansible/test/cache/get_pip_<version>.py`` with pip's install arguments (``pip==24.2 --no-setuptools``) and
downloads that script from ci-files.testing.ansible.com when it is missing. scripts/setup.sh copies this file
there: it bootstraps the interpreter's bundled pip (ensurepip) and lets that pip install the pinned one from PyPI.
"""

from __future__ import annotations

import subprocess
import sys

# get-pip.py's own switches; pip install does not know them (with them off, pip installs no setuptools or wheel).
_GET_PIP_ONLY = ("--no-setuptools", "--no-wheel")


def main() -> None:
    args = [arg for arg in sys.argv[1:] if arg not in _GET_PIP_ONLY]
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"], stdout=subprocess.DEVNULL)
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", *args])
    if "--no-setuptools" in sys.argv[1:]:  # Python 3.11's ensurepip brings setuptools along
        subprocess.call([sys.executable, "-m", "pip", "uninstall", "--yes", "--quiet", "setuptools"])


if __name__ == "__main__":
    main()
