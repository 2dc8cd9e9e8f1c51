/**
 * Exact substring search in time linear in text + pattern, whatever the pattern (Knuth–Morris–Pratt
 * over UTF-16 code units, the units `String.prototype.indexOf` compares).
 *
 * Why not `indexOf`: V8's search (and Node's `Buffer.indexOf`, a copy of it) is Boyer–Moore–Horspool
 * falling back to Boyer–Moore whose shift tables cover only the pattern's last 250 characters, so a
 * pattern like `a…a b a…a` over a run of `a`s costs text × pattern: 15 s for a 10,000-character
 * pattern over 4 MB here, minutes at edit_file's 16 MiB. And a native call cannot be interrupted:
 * `Worker.terminate()` waited 10 s for one to return. This loop is plain JavaScript, so it is both
 * linear and stoppable (a worker running it ends at once when terminated).
 */
export interface Occurrences {
    /** Index of the first occurrence, -1 when there is none. */
    first: number;
    /**
     * Occurrences counted as edit_file reports them: the first, a second that may overlap it ("aba"
     * twice in "ababa"), then the rest without overlap, so that the count of a repetitive pattern
     * stays meaningful ("a"×1000 in "a"×16M: 16,000, not 16 million).
     */
    count: number;
    /** Indexes of the first `keep` occurrences counted. */
    positions: number[];
}

/** failure[i]: length of the longest proper border of pattern[0..i] (prefix that is also a suffix). */
function failureTable(pattern: string): Int32Array {
    const failure = new Int32Array(pattern.length);
    let border = 0;
    for (let i = 1; i < pattern.length; i++) {
        const code = pattern.charCodeAt(i);
        while (border > 0 && pattern.charCodeAt(border) !== code) border = failure[border - 1];
        if (pattern.charCodeAt(border) === code) border++;
        failure[i] = border;
    }
    return failure;
}

export function findOccurrences(text: string, pattern: string, keep: number): Occurrences {
    if (pattern.length === 0) throw new Error("findOccurrences needs a non-empty pattern");
    const failure = failureTable(pattern);
    const last = pattern.length - 1;
    const positions: number[] = [];
    let first = -1;
    let count = 0;
    let matched = 0; // characters of the pattern matched so far, ending at text[i - 1]
    for (let i = 0; i < text.length; i++) {
        const code = text.charCodeAt(i);
        while (matched > 0 && pattern.charCodeAt(matched) !== code) matched = failure[matched - 1];
        if (pattern.charCodeAt(matched) === code) matched++;
        if (matched === pattern.length) {
            const at = i - last;
            if (count === 0) first = at;
            count++;
            if (positions.length < keep) positions.push(at);
            // After the first match the next may overlap it; after any later one it may not.
            matched = count === 1 ? failure[last] : 0;
        }
    }
    return { first, count, positions };
}
