// Worker thread entry of planEditOffThread (text-edit.ts).
import { parentPort, workerData } from "node:worker_threads";
import { planEdit } from "./text-edit.js";

const { before, oldText, newText, displayPath } = workerData as {
    before: string;
    oldText: string;
    newText: string;
    displayPath: string;
};
parentPort!.postMessage(planEdit(before, oldText, newText, displayPath));
