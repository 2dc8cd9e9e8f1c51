import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { findOccurrences } from "../src/files/substring-search.js";

/** What edit_file counted with indexOf: the first match, a second that may overlap it, then none overlapping. */
function reference(text: string, pattern: string, keep: number) {
    const positions: number[] = [];
    let count = 0;
    let first = -1;
    for (
        let at = text.indexOf(pattern);
        at !== -1;
        at = text.indexOf(pattern, count === 1 ? at + 1 : at + pattern.length)
    ) {
        if (count === 0) first = at;
        count++;
        if (positions.length < keep) positions.push(at);
    }
    return { first, count, positions };
}

describe("linear-time substring search", () => {
    it("agrees with indexOf on 20,000 random texts and patterns over small alphabets", () => {
        let seed = 42;
        const random = () => {
            seed = (seed * 1103515245 + 12345) % 2147483648;
            return seed / 2147483648;
        };
        const word = (alphabet: string, length: number) =>
            Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
        for (let i = 0; i < 20_000; i++) {
            const alphabet = ["ab", "abc", "a\n", "é😀a"][i % 4];
            const text = word(alphabet, Math.floor(random() * 60));
            const pattern = word(alphabet, 1 + Math.floor(random() * 6));
            assert.deepEqual(findOccurrences(text, pattern, 3), reference(text, pattern, 3), `${text} / ${pattern}`);
        }
    });

    // Its time on this pattern (linear, where indexOf is quadratic) is measured in bench/shell/substring-search.ts.
    it("answers on the pattern that makes indexOf quadratic", () => {
        const pattern = `${"a".repeat(5000)}b${"a".repeat(5000)}`;
        assert.equal(findOccurrences("a".repeat(4_000_000), pattern, 1).count, 0);
        const text = `${"a".repeat(1_000_000)}${pattern}a`;
        assert.deepEqual(findOccurrences(text, pattern, 2), { first: 1_000_000, count: 1, positions: [1_000_000] });
    });
});
