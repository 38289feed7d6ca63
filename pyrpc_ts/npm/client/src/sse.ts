/**
 * Server-Sent Events, parsed incrementally as the HTML standard says (9.2.6 "Interpreting an
 * event stream"): lines end with CRLF, LF or CR (a CR at the end of one chunk and an LF at the
 * start of the next are one line end); a line starting with `:` is a comment; `field: value`
 * (one space after the colon dropped), `field` alone for an empty value; `data` lines joined
 * with LF; an empty line dispatches the event, unless it had no data; `id` sets the last event
 * id (one without NUL), which outlives the event; an event the stream ends in the middle of is
 * dropped. `SseParser` takes text and gives events; `readEvents` reads them from a response
 * body, decoding its bytes as they come (`TextDecoder` with `{ stream: true }`, which also drops
 * a leading BOM).
 */

/** One dispatched event. */
export interface SseEvent {
  /** The event type: `event:`'s value, `message` when there was none. */
  readonly type: string;
  /** The `data` lines, joined with LF. */
  readonly data: string;
}

const LINE_END = /\r\n|\r|\n/g;

export class SseParser {
  /** The last event id (`id:`), as it stands after the events returned so far; "" for none. */
  lastId: string;
  private idBuffer: string;
  private pending = "";
  private type = "";
  private data: string | undefined;

  /** `lastId`: where a resumed stream starts (the id its predecessor ended on). */
  constructor(lastId = "") {
    this.lastId = lastId;
    this.idBuffer = lastId;
  }

  /** Takes the next piece of text; returns the events it completed. `end`: the stream ended after it. */
  push(text: string, end = false): SseEvent[] {
    const events: SseEvent[] = [];
    const buffer = this.pending + text;
    let start = 0;
    // What was pending holds no line end, except perhaps a CR at its end: look from there.
    LINE_END.lastIndex = Math.max(0, this.pending.length - 1);
    for (let match = LINE_END.exec(buffer); match !== null; match = LINE_END.exec(buffer)) {
      const after = match.index + match[0].length;
      if (match[0] === "\r" && after === buffer.length && !end) break; // an LF may follow in the next piece
      this.line(buffer.slice(start, match.index), events);
      start = after;
    }
    // At the end, a line without its line end, and an event without its empty line, are dropped.
    this.pending = end ? "" : buffer.slice(start);
    return events;
  }

  private line(line: string, events: SseEvent[]): void {
    if (line === "") {
      this.lastId = this.idBuffer;
      if (this.data !== undefined) events.push({ type: this.type || "message", data: this.data });
      this.type = "";
      this.data = undefined;
      return;
    }
    if (line.charCodeAt(0) === 58 /* ":" a comment */) return;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32 /* " " */) value = value.slice(1);
    if (field === "data") this.data = this.data === undefined ? value : `${this.data}\n${value}`;
    else if (field === "event") this.type = value;
    else if (field === "id" && !value.includes("\0")) this.idBuffer = value;
    // `retry` and unknown fields are ignored: reconnection follows the client's retry settings.
  }
}

/** Reading an event stream failed: the connection dropped. `cause` is the body's error. */
export class BrokenOff extends Error {
  constructor(cause: unknown) {
    super("the event stream broke off", { cause });
  }
}

/**
 * The events of `body`, each as soon as its empty line arrives; the generator ends with the
 * body, and throws `BrokenOff` when reading the body fails. The body is cancelled when the
 * caller stops early, and when `signal` aborts (a body a middleware made is not tied to the
 * request's signal).
 */
export async function* readEvents(
  body: ReadableStream<Uint8Array>,
  parser: SseParser,
  signal?: AbortSignal,
): AsyncGenerator<SseEvent, void, undefined> {
  const reader = body.getReader();
  const cancel = (): void => void reader.cancel(signal?.reason).catch(() => {});
  signal?.addEventListener("abort", cancel, { once: true });
  const decoder = new TextDecoder();
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (error) {
        throw new BrokenOff(error);
      }
      const text = chunk.done ? decoder.decode() : decoder.decode(chunk.value, { stream: true });
      yield* parser.push(text, chunk.done);
      if (chunk.done) return;
    }
  } finally {
    signal?.removeEventListener("abort", cancel);
    void reader.cancel().catch(() => {});
  }
}
