// A recording segment as images/browser-view/src/recording/segmentFile.ts writes it: magic, JSON header,
// then records (u32 milliseconds since the start, u32 length, one RFB server message), then a trailer.
// A segment still being written ends at its last whole record.
const MAGIC = "PAREC\0\0\x01";
const END_MARK = 0xffffffff;

export function parseSegment(buffer) {
    const view = new DataView(buffer);
    const bytes = new Uint8Array(buffer);
    if (buffer.byteLength < 12 || String.fromCharCode(...bytes.subarray(0, 8)) !== MAGIC) {
        throw new Error("not a recording segment");
    }
    const headerLength = view.getUint32(8);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength)));
    const records = [];
    let offset = 12 + headerLength;
    let durationMs = 0;
    while (offset + 8 <= buffer.byteLength) {
        const at = view.getUint32(offset);
        const length = view.getUint32(offset + 4);
        if (length === END_MARK) {
            durationMs = at;
            break;
        }
        if (offset + 8 + length > buffer.byteLength) break;
        records.push({ offsetMs: at, data: buffer.slice(offset + 8, offset + 8 + length) });
        durationMs = at;
        offset += 8 + length;
    }
    return { header, records, durationMs };
}
