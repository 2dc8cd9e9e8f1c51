"""`pip check`, accepting only the conflict requirements-override.txt makes on purpose.

computer-control-mcp 0.3.14 pins mcp[cli]==1.13.0, which has CVE-2025-66416; the sidecar installs it without
its dependencies over mcp 1.30.0 (requirements.txt). pip check then reports exactly that line; any other
broken requirement (a pin bumped without re-resolving) still fails the build. Run with the environment's
Python: `python check_pins.py`.
"""

import subprocess
import sys

ACCEPTED = {"computer-control-mcp 0.3.14 has requirement mcp[cli]==1.13.0, but you have mcp 1.30.0."}

if __name__ == "__main__":
    check = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True)
    problems = [line for line in check.stdout.splitlines() if line.strip() and line.strip() not in ACCEPTED]
    if check.returncode not in (0, 1) or problems:
        sys.exit("check_pins: broken requirements:\n" + "\n".join(problems or [check.stdout, check.stderr]))
    print("check_pins: requirements consistent (accepted: computer-control-mcp's mcp pin, overridden)")
