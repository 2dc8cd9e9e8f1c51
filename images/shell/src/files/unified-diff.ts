const CONTEXT_LINES = 3;

/**
 * Unified diff of two versions of a file that differ in one region (what edit_file produces):
 * trimming the common leading and trailing lines finds that region exactly in linear time.
 */
export function unifiedDiff(displayPath: string, before: string, after: string): string {
  const oldLines = before.split("\n");
  const newLines = after.split("\n");
  let prefix = 0;
  while (prefix < oldLines.length && prefix < newLines.length && oldLines[prefix] === newLines[prefix]) prefix++;
  let suffix = 0;
  while (
    suffix < oldLines.length - prefix &&
    suffix < newLines.length - prefix &&
    oldLines[oldLines.length - 1 - suffix] === newLines[newLines.length - 1 - suffix]
  ) {
    suffix++;
  }
  const header = `--- a/${displayPath}\n+++ b/${displayPath}\n`;
  if (prefix === oldLines.length && prefix === newLines.length) return header;

  const contextStart = Math.max(0, prefix - CONTEXT_LINES);
  const oldChangeEnd = oldLines.length - suffix;
  const newChangeEnd = newLines.length - suffix;
  const trailing = Math.min(CONTEXT_LINES, suffix);
  const body = [
    ...oldLines.slice(contextStart, prefix).map((line) => ` ${line}`),
    ...oldLines.slice(prefix, oldChangeEnd).map((line) => `-${line}`),
    ...newLines.slice(prefix, newChangeEnd).map((line) => `+${line}`),
    ...oldLines.slice(oldChangeEnd, oldChangeEnd + trailing).map((line) => ` ${line}`),
  ];
  const oldCount = oldChangeEnd + trailing - contextStart;
  const newCount = newChangeEnd + trailing - contextStart;
  const range = (count: number) => `${count === 0 ? contextStart : contextStart + 1},${count}`;
  return `${header}@@ -${range(oldCount)} +${range(newCount)} @@\n${body.join("\n")}\n`;
}
