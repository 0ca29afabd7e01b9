#!/usr/bin/env python3
"""Run every benchmark in bench/ and print their figures (no assertions: numbers for people)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

for script in sorted(HERE.glob("*.py")):
    if script.name == "run.py":
        continue
    print(f"== {script.stem} ==", flush=True)
    subprocess.run([sys.executable, str(script)], cwd=HERE.parent, check=False)
