"""Scenarios on a shell-only agent (the local stack's databot), all through Kagent's runtime (scenarios.py):
the scripted model asks for tool calls, kagent-adk makes them against the shell MCP server with the
rendered URL, header and tool filter, and the model checks what comes back."""

from __future__ import annotations

import scenarios


def test_the_model_is_offered_exactly_the_planned_tools_and_a_run_command_writes_a_file_read_back(databot, model):
    scenarios.write_and_read(databot, model)


def test_a_long_job_is_started_polled_and_its_output_read(databot, model):
    scenarios.long_job(databot, model)


def test_a_bad_path_reaches_the_model_as_a_tool_error_and_the_agent_carries_on(databot, model):
    scenarios.bad_path(databot, model)
