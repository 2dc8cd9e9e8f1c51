import { Worker } from "node:worker_threads";
import { FILE_HEADERS_ONLY, formatPatch, structuredPatch } from "diff";
import { findOccurrences } from "./substring-search.js";

const CONTEXT_LINES = 3;
// A diff of a huge replacement can take long (Myers is O(N·D)); past this the edit still happens and
// the result says that the diff is not shown.
const DIFF_TIMEOUT_MS = 10_000;
const REPORTED_MATCH_LINES = 10;

// Small edits are planned on the event loop (a worker costs tens of ms to start): scanning 1 MiB takes
// about a millisecond, and a diff that runs past INLINE_DIFF_TIMEOUT_MS is redone on a worker.
const INLINE_MAX_CHARS = 1024 * 1024;
const INLINE_DIFF_TIMEOUT_MS = 50;

export type EditPlan =
    | { kind: "edited"; after: string; diff: string | null }
    | { kind: "not_found" }
    | { kind: "ambiguous"; matches: number; lines: number[] };

/**
 * Replaces the one occurrence of `oldText`, in time linear in the file's size whatever `oldText` is:
 * one pass (substring-search.ts) finds the matches, and the diff only looks at the lines around the change.
 */
export function planEdit(
    before: string,
    oldText: string,
    newText: string,
    displayPath: string,
    diffTimeoutMs = DIFF_TIMEOUT_MS,
): EditPlan {
    if (oldText.length > before.length) return { kind: "not_found" };
    const { first, count, positions } = findOccurrences(before, oldText, REPORTED_MATCH_LINES);
    if (count === 0) return { kind: "not_found" };
    if (count > 1) return { kind: "ambiguous", matches: count, lines: lineNumbers(before, positions) };
    const after = before.slice(0, first) + newText + before.slice(first + oldText.length);
    return {
        kind: "edited",
        after,
        diff: windowDiff(before, after, first, oldText.length, newText.length, displayPath, diffTimeoutMs),
    };
}

/** 1-based line numbers of ascending indexes, in one pass over the text before the last of them. */
function lineNumbers(text: string, indexes: number[]): number[] {
    const lines: number[] = [];
    let line = 1;
    let counted = 0; // newlines are counted up to here
    for (const at of indexes) {
        for (let nl = text.indexOf("\n", counted); nl !== -1 && nl < at; nl = text.indexOf("\n", nl + 1)) {
            line++;
            counted = nl + 1;
        }
        lines.push(line);
    }
    return lines;
}

/** Unified diff of the changed region plus CONTEXT_LINES lines around it, numbered as in the whole file. */
function windowDiff(
    before: string,
    after: string,
    at: number,
    oldLength: number,
    newLength: number,
    displayPath: string,
    timeoutMs: number,
): string | null {
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
        timeout: timeoutMs,
    });
    if (!patch) return null;
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

export class EditTimeoutError extends Error {}

/**
 * planEdit without holding the event loop: inline for small inputs (the search is linear, ~5 ms per
 * MiB), else (or when the inline diff runs out of time) on a worker thread that is terminated at
 * `deadlineMs`, failing with EditTimeoutError. A diff that takes longer than its own budget (half the
 * deadline, at most DIFF_TIMEOUT_MS) is replaced by a note and the edit still happens.
 */
export async function planEditSafely(
    before: string,
    oldText: string,
    newText: string,
    displayPath: string,
    deadlineMs: number,
): Promise<EditPlan> {
    let plan: EditPlan | undefined;
    if (before.length <= INLINE_MAX_CHARS && newText.length <= INLINE_MAX_CHARS) {
        plan = planEdit(before, oldText, newText, displayPath, INLINE_DIFF_TIMEOUT_MS);
        if (plan.kind === "edited" && plan.diff === null) plan = undefined;
    }
    const diffTimeoutMs = Math.min(DIFF_TIMEOUT_MS, deadlineMs / 2);
    plan ??= await planEditOffThread({ before, oldText, newText, displayPath, diffTimeoutMs }, deadlineMs);
    if (plan.kind === "edited" && plan.diff === null) {
        plan.diff = `--- a/${displayPath}\n+++ b/${displayPath}\n[diff not shown: computing it took over ${diffTimeoutMs / 1000} s; the edit was made]\n`;
    }
    return plan;
}

export interface EditJob {
    before: string;
    oldText: string;
    newText: string;
    displayPath: string;
    diffTimeoutMs: number;
}

function planEditOffThread(job: EditJob, deadlineMs: number): Promise<EditPlan> {
    return new Promise((resolve, reject) => {
        const worker = new Worker(new URL("./text-edit-worker.js", import.meta.url), { workerData: job });
        let timedOut = false;
        // Everything the worker runs is plain JavaScript (no long native call), so terminate() stops it at
        // once; the call fails only when the thread is gone, so a failed edit leaves nothing running.
        const deadline = setTimeout(() => {
            timedOut = true;
            const failure = new EditTimeoutError(`planning the edit took over ${deadlineMs / 1000} s`);
            void worker.terminate().finally(() => reject(failure));
        }, deadlineMs);
        worker.once("message", (plan: EditPlan) => {
            clearTimeout(deadline);
            resolve(plan);
        });
        worker.once("error", (error) => {
            clearTimeout(deadline);
            if (!timedOut) reject(error);
        });
        worker.once("exit", (code) => {
            clearTimeout(deadline);
            if (code !== 0 && !timedOut) reject(new Error(`edit worker exited with code ${code}`));
        });
    });
}
