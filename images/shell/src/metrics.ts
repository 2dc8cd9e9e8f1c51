// Prometheus text exposition written by hand: three series do not justify a client library.
const DURATION_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

interface Histogram {
  buckets: number[];
  sum: number;
  count: number;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

export class Metrics {
  private readonly calls = new Map<string, number>();
  private readonly durations = new Map<string, Histogram>();

  constructor(private readonly runningJobs: () => number) {}

  recordToolCall(tool: string, outcome: "ok" | "error", seconds: number): void {
    const key = `${tool}\u0000${outcome}`;
    this.calls.set(key, (this.calls.get(key) ?? 0) + 1);
    let histogram = this.durations.get(tool);
    if (!histogram) {
      histogram = { buckets: DURATION_BUCKETS_SECONDS.map(() => 0), sum: 0, count: 0 };
      this.durations.set(tool, histogram);
    }
    DURATION_BUCKETS_SECONDS.forEach((bound, i) => {
      if (seconds <= bound) histogram.buckets[i]++;
    });
    histogram.sum += seconds;
    histogram.count++;
  }

  render(): string {
    const lines: string[] = [
      "# HELP shell_mcp_tool_calls_total Tool calls by tool and outcome.",
      "# TYPE shell_mcp_tool_calls_total counter",
    ];
    for (const [key, value] of this.calls) {
      const [tool, outcome] = key.split("\u0000");
      lines.push(`shell_mcp_tool_calls_total{tool="${escapeLabel(tool)}",outcome="${outcome}"} ${value}`);
    }
    lines.push(
      "# HELP shell_mcp_tool_call_duration_seconds Tool call duration.",
      "# TYPE shell_mcp_tool_call_duration_seconds histogram",
    );
    for (const [tool, histogram] of this.durations) {
      const label = `tool="${escapeLabel(tool)}"`;
      DURATION_BUCKETS_SECONDS.forEach((bound, i) => {
        lines.push(`shell_mcp_tool_call_duration_seconds_bucket{${label},le="${bound}"} ${histogram.buckets[i]}`);
      });
      lines.push(`shell_mcp_tool_call_duration_seconds_bucket{${label},le="+Inf"} ${histogram.count}`);
      lines.push(`shell_mcp_tool_call_duration_seconds_sum{${label}} ${histogram.sum}`);
      lines.push(`shell_mcp_tool_call_duration_seconds_count{${label}} ${histogram.count}`);
    }
    lines.push(
      "# HELP shell_mcp_running_jobs Background jobs currently running.",
      "# TYPE shell_mcp_running_jobs gauge",
      `shell_mcp_running_jobs ${this.runningJobs()}`,
    );
    return lines.join("\n") + "\n";
  }
}
