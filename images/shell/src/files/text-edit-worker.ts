// Worker thread entry of planEditSafely (text-edit.ts).
import { parentPort, workerData } from "node:worker_threads";
import { type EditJob, planEdit } from "./text-edit.js";

const { before, oldText, newText, displayPath, diffTimeoutMs } = workerData as EditJob;
parentPort!.postMessage(planEdit(before, oldText, newText, displayPath, diffTimeoutMs));
