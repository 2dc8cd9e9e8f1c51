"""Synchronous wrappers around the official MCP Python client (streamable HTTP).

The server is stateless, so every call opens its own short session, exactly as
kagent's runtime may do.
"""

import base64
import json

import anyio
from mcp import ClientSession
from mcp.client.streamable_http import streamablehttp_client
from mcp.types import CallToolResult, ImageContent, TextContent


class ToolError(AssertionError):
    pass


class McpClient:
    # Tools that returned without error in this test session, to check that the
    # tests really exercise every name the stack gives kagent.
    succeeded: set[str] = set()

    def __init__(self, url: str, token: str):
        self.url = url
        self.token = token

    async def _session(self, action, timeout: float):
        headers = {"Authorization": f"Bearer {self.token}"}
        # sse_read_timeout too: by default a call whose server died waits 5 minutes.
        async with streamablehttp_client(self.url, headers=headers, timeout=timeout,
                                         sse_read_timeout=timeout) as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return await action(session)

    def list_tools(self) -> list:
        async def action(session):
            return (await session.list_tools()).tools

        return anyio.run(self._session, action, 30)

    def tool_names(self) -> set[str]:
        return {tool.name for tool in self.list_tools()}

    def call_raw(self, name: str, arguments: dict | None = None, timeout: float = 60) -> CallToolResult:
        async def action(session):
            return await session.call_tool(name, arguments or {})

        return anyio.run(self._session, action, timeout)

    def call(self, name: str, arguments: dict | None = None, timeout: float = 60) -> CallToolResult:
        """Call a tool and fail on errors, including the ones upstream returns as text."""
        result = self.call_raw(name, arguments, timeout)
        text = texts(result)
        if result.isError or any(t.startswith("Error") for t in text):
            raise ToolError(f"{name}({arguments}) failed: {text}")
        McpClient.succeeded.add(name)
        return result

    def screenshot_png(self, **arguments) -> bytes:
        result = self.call("take_screenshot", arguments)
        images = [c for c in result.content if isinstance(c, ImageContent)]
        if len(images) != 1 or images[0].mimeType != "image/png":
            raise ToolError(f"take_screenshot returned {[type(c).__name__ for c in result.content]}")
        return base64.b64decode(images[0].data)

    def windows(self) -> list[dict]:
        result = self.call("list_windows")
        if result.structuredContent and "result" in result.structuredContent:
            return result.structuredContent["result"]
        return [json.loads(t) for t in texts(result)]


def texts(result: CallToolResult) -> list[str]:
    return [c.text for c in result.content if isinstance(c, TextContent)]
