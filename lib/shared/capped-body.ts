/**
 * Read a body stream as bytes, at most `maxBytes` of them: undefined as soon as it is longer (the rest
 * is never read, whatever Content-Length claimed). With a signal, every read races it, so a peer that
 * trickles or stalls cannot hold the caller past its time cap; an abort rejects.
 * Used wherever a body from another site is read (lib/shared/remote-fetch.ts, the WebSub and own-feed reads).
 */
export async function readCappedBytes(body: ReadableStream<Uint8Array> | null, maxBytes: number, signal?: AbortSignal): Promise<Uint8Array | undefined> {
  if (!body) return new Uint8Array(0);
  const reader = body.getReader();
  let aborted: Promise<never> | undefined;
  if (signal) {
    aborted = new Promise<never>((_, reject) => {
      if (signal.aborted) reject(new Error("timed out"));
      signal.addEventListener("abort", () => reject(new Error("timed out")), { once: true });
    });
    aborted.catch(() => {});
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await (aborted ? Promise.race([reader.read(), aborted]) : reader.read());
    } catch (error) {
      await reader.cancel().catch(() => {});
      throw error;
    }
    if (chunk.done) break;
    size += chunk.value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(chunk.value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const part of chunks) {
    bytes.set(part, offset);
    offset += part.byteLength;
  }
  return bytes;
}
