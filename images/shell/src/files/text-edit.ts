import { Worker } from "node:worker_threads";
import { FILE_HEADERS_ONLY, formatPatch, structuredPatch } from "diff";

const CONTEXT_LINES = 3;
// A diff of a huge replacement can take long (Myers is O(N·D)); past this the edit still happens and
// the result says how many lines changed instead of showing them.
const DIFF_TIMEOUT_MS = 10_000;
const REPORTED_MATCH_LINES = 10;

export type EditPlan =
  | { kind: "edited"; after: string; diff: string }
  | { kind: "not_found" }
  | { kind: "ambiguous"; matches: number; lines: number[] };

/**
 * Replaces the one occurrence of `oldText`, in time linear in the file's size: one pass counts the
 * matches and their line numbers, and the diff only looks at the lines around the change.
 */
export function planEdit(before: string, oldText: string, newText: string, displayPath: string): EditPlan {
  const first = before.indexOf(oldText);
  if (first === -1) return { kind: "not_found" };
  const lines: number[] = [];
  let matches = 0;
  let line = 1;
  let counted = 0; // newlines are counted up to here
  for (let at = first; at !== -1; at = before.indexOf(oldText, at + 1)) {
    matches++;
    if (lines.length < REPORTED_MATCH_LINES) {
      for (let nl = before.indexOf("\n", counted); nl !== -1 && nl < at; nl = before.indexOf("\n", nl + 1)) line++, (counted = nl + 1);
      lines.push(line);
    }
  }
  if (matches > 1) return { kind: "ambiguous", matches, lines };
  const after = before.slice(0, first) + newText + before.slice(first + oldText.length);
  return { kind: "edited", after, diff: windowDiff(before, after, first, oldText.length, newText.length, displayPath) };
}

/** Unified diff of the changed region plus CONTEXT_LINES lines around it, numbered as in the whole file. */
function windowDiff(before: string, after: string, at: number, oldLength: number, newLength: number, displayPath: string): string {
  // Whole lines: from CONTEXT_LINES lines before the change to CONTEXT_LINES lines after it (or the file's
  // ends). Outside the window both versions are identical, so the window's diff is the file's diff.
  const lineStart = (index: number) => (index <= 0 ? 0 : before.lastIndexOf("\n", index - 1) + 1);
  let start = lineStart(at);
  for (let n = 0; n < CONTEXT_LINES && start > 0; n++) start = lineStart(start - 1);
  const lineEnd = (index: number) => {
    const newline = before.indexOf("\n", index);
    return newline === -1 ? before.length : newline + 1;
  };
  let end = oldLength > 0 ? lineEnd(at + oldLength - 1) : lineEnd(at);
  for (let n = 0; n < CONTEXT_LINES && end < before.length; n++) end = lineEnd(end);
  const linesBefore = countNewlines(before, start);
  const oldWindow = before.slice(start, end);
  const newWindow = after.slice(start, end + newLength - oldLength);
  const patch = structuredPatch(`a/${displayPath}`, `b/${displayPath}`, oldWindow, newWindow, undefined, undefined, {
    context: CONTEXT_LINES,
    timeout: DIFF_TIMEOUT_MS,
  });
  if (!patch) {
    return `--- a/${displayPath}\n+++ b/${displayPath}\n[diff not shown: computing it took over ${DIFF_TIMEOUT_MS / 1000} s; the edit was made]\n`;
  }
  for (const hunk of patch.hunks) {
    hunk.oldStart += linesBefore;
    hunk.newStart += linesBefore;
  }
  return formatPatch(patch, FILE_HEADERS_ONLY);
}

function countNewlines(text: string, end: number): number {
  let count = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < end; i = text.indexOf("\n", i + 1)) count++;
  return count;
}

/** planEdit on a worker thread, so that a large file or replacement never holds the event loop. */
export function planEditOffThread(before: string, oldText: string, newText: string, displayPath: string): Promise<EditPlan> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./text-edit-worker.js", import.meta.url), {
      workerData: { before, oldText, newText, displayPath },
    });
    worker.once("message", (plan: EditPlan) => resolve(plan));
    worker.once("error", reject);
    worker.once("exit", (code) => {
      if (code !== 0) reject(new Error(`edit worker exited with code ${code}`));
    });
  });
}
