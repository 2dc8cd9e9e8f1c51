/**
 * Collects a stream's bytes while holding at most `capBytes` of them: the first half is kept as the
 * head, the last half in a ring buffer as the tail. A command printing gigabytes therefore costs a
 * fixed amount of memory, and the agent still sees how the output started and how it ended.
 */
export class CappedOutput {
  private readonly headLimit: number;
  private readonly tailLimit: number;
  private readonly headChunks: Buffer[] = [];
  private headLength = 0;
  private tail: Buffer | undefined;
  private tailPosition = 0;
  private tailWrapped = false;
  private totalBytes = 0;

  constructor(capBytes: number) {
    this.headLimit = Math.floor(capBytes / 2);
    this.tailLimit = capBytes - this.headLimit;
  }

  get total(): number {
    return this.totalBytes;
  }

  get truncated(): boolean {
    return this.totalBytes > this.headLimit + this.tailLimit;
  }

  push(chunk: Buffer): void {
    this.totalBytes += chunk.length;
    if (this.headLength < this.headLimit) {
      const taken = Math.min(chunk.length, this.headLimit - this.headLength);
      // Copy: the stream may reuse or retain the chunk's underlying memory.
      this.headChunks.push(Buffer.from(chunk.subarray(0, taken)));
      this.headLength += taken;
      chunk = chunk.subarray(taken);
    }
    if (chunk.length > 0 && this.tailLimit > 0) this.pushTail(chunk);
  }

  private pushTail(chunk: Buffer): void {
    this.tail ??= Buffer.alloc(this.tailLimit);
    if (chunk.length >= this.tailLimit) {
      chunk.copy(this.tail, 0, chunk.length - this.tailLimit);
      this.tailPosition = 0;
      this.tailWrapped = true;
      return;
    }
    const firstPart = Math.min(chunk.length, this.tailLimit - this.tailPosition);
    chunk.copy(this.tail, this.tailPosition, 0, firstPart);
    if (firstPart < chunk.length) {
      chunk.copy(this.tail, 0, firstPart);
      this.tailWrapped = true;
    }
    this.tailPosition = (this.tailPosition + chunk.length) % this.tailLimit;
    if (this.tailPosition === 0 && chunk.length > 0) this.tailWrapped = true;
  }

  private tailBytes(): Buffer {
    if (!this.tail) return Buffer.alloc(0);
    if (!this.tailWrapped) return this.tail.subarray(0, this.tailPosition);
    return Buffer.concat([this.tail.subarray(this.tailPosition), this.tail.subarray(0, this.tailPosition)]);
  }

  toString(): string {
    const head = Buffer.concat(this.headChunks).toString("utf8");
    const tail = this.tailBytes().toString("utf8");
    if (!this.truncated) return head + tail;
    const omitted = this.totalBytes - this.headLimit - this.tailLimit;
    return `${head}\n[... ${omitted} bytes omitted of ${this.totalBytes} ...]\n${tail}`;
  }
}
