/**
 * The exact tool names each MCP server exposes. Kagent silently drops a `toolNames` entry the server
 * does not expose, so these lists live with the servers (`images/<image>/tools.json`) and the servers'
 * own tests assert them against what the running server lists.
 */
import computerControlTools from "../../images/computer-control-mcp/tools.json";
import shellTools from "../../images/shell/tools.json";

export const COMPUTER_CONTROL_TOOLS: readonly string[] = computerControlTools;
export const SHELL_TOOLS: readonly string[] = shellTools;

/** Kagent 0.10 accepts at most 50 toolNames per tool entry and 20 tools per Agent. */
export const MAX_TOOL_NAMES = 50;
export const MAX_TOOLS_PER_AGENT = 20;
