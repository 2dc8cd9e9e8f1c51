/**
 * edit_file's substring search on the pattern that makes `indexOf` quadratic (`a…a b a…a` over a run of
 * `a`s), against the floor: one pass over the same text looking for a single character. Sizes grow,
 * interleaved; linear work keeps the ratio to the floor flat, quadratic work multiplies it by the growth.
 * Run: npm --prefix bench/shell run bench:substring-search  (BENCH_ROUNDS, default 3; BENCH_SIZES in bytes)
 */
import { findOccurrences } from "../../images/shell/src/files/substring-search.js";

const pattern = `${"a".repeat(5000)}b${"a".repeat(5000)}`;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const sizes = (process.env.BENCH_SIZES ?? "1000000,2000000,4000000,8000000,16000000").split(",").map(Number);

/** A single-character scan of the text in plain JavaScript: the least any search must do. */
function floorScan(text: string): number {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 98) return i;
    return -1;
}

function milliseconds(run: () => number, expected: number): number {
    const started = process.hrtime.bigint();
    const got = run();
    const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
    if (got !== expected) throw new Error(`got ${got}, expected ${expected}`);
    return elapsed;
}

// One discarded pass so the first size is not also the JIT's warm-up.
findOccurrences("a".repeat(sizes[0]), pattern, 1);
floorScan("a".repeat(sizes[0]));
const samples = new Map(sizes.map((size) => [size, { search: [] as number[], floor: [] as number[] }]));
for (let round = 0; round < rounds; round++) {
    for (const size of sizes) {
        const text = "a".repeat(size);
        const sample = samples.get(size)!;
        sample.floor.push(milliseconds(() => floorScan(text), -1));
        sample.search.push(milliseconds(() => findOccurrences(text, pattern, 1).count, 0));
    }
}
console.log("text (chars)  search (ms)  floor (ms)  search / floor");
const ratios: number[] = [];
for (const size of sizes) {
    const sample = samples.get(size)!;
    const search = median(sample.search);
    const floor = median(sample.floor);
    ratios.push(search / floor);
    console.log(
        `${String(size).padStart(12)}  ${search.toFixed(1).padStart(11)}  ${floor.toFixed(1).padStart(10)}  ${ratios.at(-1)!.toFixed(2).padStart(14)}`,
    );
}
console.log(
    `ratio at ${sizes.at(-1)} / at ${sizes[0]}: ${(ratios.at(-1)! / ratios[0]).toFixed(2)} (1.00 = linear; quadratic work gives ${sizes.at(-1)! / sizes[0]})`,
);
