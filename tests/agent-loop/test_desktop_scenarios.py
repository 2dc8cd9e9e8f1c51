"""Scenarios on a desktop agent (the local stack's devbot), through Kagent's runtime (scenarios.py):
screenshots, and a terminal opened, typed into and read back on the desktop, all as the scripted model's
tool calls."""

from __future__ import annotations

import scenarios


def test_a_screenshot_reaches_the_model_with_its_pixels_but_as_text_not_as_an_image(devbot, model):
    scenarios.screenshot(devbot, model)


def test_a_terminal_opened_on_the_desktop_runs_a_typed_command_whose_output_the_next_screenshot_shows(devbot, model):
    scenarios.terminal(devbot, model)
