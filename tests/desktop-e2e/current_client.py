"""Run by test_current_client.py in the current-client venv (mcp 2.x), not in the test's own venv.

Connects the way a current Python client does by default (mode "auto": a
`server/discover` probe first, then the initialize handshake for older servers),
lists the tools and takes one screenshot; prints what it got as JSON.
"""

import json
import sys

import anyio
import httpx2
from mcp.client import Client
from mcp.client.streamable_http import streamable_http_client


async def main(url: str, token: str) -> None:
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
        async with Client(streamable_http_client(url, http_client=http)) as client:
            tools = await client.list_tools()
            shot = await client.call_tool("take_screenshot", {})
            print(json.dumps({"tools": sorted(tool.name for tool in tools.tools),
                              "content": [[block.type, getattr(block, "mime_type", None)] for block in shot.content]}))


if __name__ == "__main__":
    anyio.run(main, sys.argv[1], sys.argv[2])
