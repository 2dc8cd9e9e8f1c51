"""A typical stretch of an agent's session on the desktop, driven through XTEST so that every run is the
same: `idle` leaves the Xfce desktop alone (its panel clock ticks); `active` types commands into a
terminal at a person's pace, prints bursts of output that scroll the terminal, and pages through a long
file in less, in a fixed seeded order, until the time is up."""

import os
import random
import time

import Xlib.display
import Xlib.XK
from Xlib import X
from Xlib.ext import xtest

TYPING_INTERVAL = 0.12  # seconds per character: ~8 characters a second, a fast typist or a typing agent
COMMANDS = [
    "echo the agent checks the build output",
    "seq 1 300",
    "ls -l /usr/bin | head -120",
    "LESS",
    "grep -n error /usr/share/common-licenses/GPL-3 | head -40",
    "seq 1000 1250",
    "echo done with this step",
    "LESS",
]
SHIFTED = {"|": "bar", "_": "underscore", ">": "greater", ":": "colon"}
NAMED = {" ": "space", "-": "minus", "/": "slash", ".": "period", "|": "bar", "_": "underscore", ">": "greater",
         ":": "colon"}


class Keyboard:
    def __init__(self, display_name: str, xauthority: str):
        os.environ["XAUTHORITY"] = xauthority
        self.display = Xlib.display.Display(display_name)
        self.shift = self.display.keysym_to_keycode(Xlib.XK.string_to_keysym("Shift_L"))

    def key(self, name: str, shifted: bool = False) -> None:
        keycode = self.display.keysym_to_keycode(Xlib.XK.string_to_keysym(name))
        if shifted:
            xtest.fake_input(self.display, X.KeyPress, self.shift)
        xtest.fake_input(self.display, X.KeyPress, keycode)
        xtest.fake_input(self.display, X.KeyRelease, keycode)
        if shifted:
            xtest.fake_input(self.display, X.KeyRelease, self.shift)
        self.display.sync()

    def type(self, text: str, until: float) -> None:
        for char in text:
            if time.monotonic() > until:
                return
            self.key(NAMED.get(char, char), shifted=char in SHIFTED)
            time.sleep(TYPING_INTERVAL)

    def close(self) -> None:
        self.display.close()


def idle(keyboard: Keyboard, seconds: float) -> None:
    time.sleep(seconds)


def active(keyboard: Keyboard, seconds: float) -> None:
    until = time.monotonic() + seconds
    order = random.Random(7)
    while time.monotonic() < until:
        command = COMMANDS[order.randrange(len(COMMANDS))]
        if command == "LESS":
            keyboard.type("less /usr/share/common-licenses/GPL-3", until)
            keyboard.key("Return")
            for _ in range(12):
                if time.monotonic() > until:
                    break
                time.sleep(0.6)
                keyboard.key("Next")  # Page Down
            keyboard.key("q")
        else:
            keyboard.type(command, until)
            keyboard.key("Return")
        time.sleep(1.5)
    # Leave the terminal as found: out of less, screen cleared.
    keyboard.key("q")
    keyboard.type("clear", time.monotonic() + 10)
    keyboard.key("Return")


WORKLOADS = {"idle": idle, "active": active}
