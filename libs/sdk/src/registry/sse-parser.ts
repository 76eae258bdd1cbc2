/** One Server-Sent Event. */
export interface SseEvent {
  readonly event: string;
  readonly data: string;
  readonly id: string | undefined;
}

/** Bound on one event's size, so a broken server cannot make the client buffer forever. */
export const MAX_SSE_EVENT_CHARS = 16 * 1024 * 1024;

/**
 * An incremental parser of the text/event-stream format (WHATWG HTML, "server-sent events"):
 * lines end in CRLF, LF or CR; `field: value`; comment lines start with `:`; an empty line
 * dispatches the event. Feed it decoded text in whatever chunks arrive.
 */
export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private eventType = '';
  private lastId: string | undefined;
  private eventChars = 0;
  private sawCr = false;
  private first = true;

  constructor(private readonly onEvent: (event: SseEvent) => void) {}

  feed(text: string): void {
    if (this.first && text.length > 0) {
      this.first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 && this.sawCr) {
        // the LF of a CRLF: the line already ended at the CR
        this.sawCr = false;
        start = i + 1;
        continue;
      }
      this.sawCr = false;
      if (c === 10 || c === 13) {
        this.line(this.buffer + text.slice(start, i));
        this.buffer = '';
        start = i + 1;
        this.sawCr = c === 13;
      }
    }
    this.buffer += text.slice(start);
    if (this.buffer.length > MAX_SSE_EVENT_CHARS) throw new Error('server-sent event too large');
  }

  private line(line: string): void {
    if (line === '') {
      this.dispatch();
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.data.push(value);
        this.eventChars += value.length;
        if (this.eventChars > MAX_SSE_EVENT_CHARS) throw new Error('server-sent event too large');
        break;
      case 'event':
        this.eventType = value;
        break;
      case 'id':
        if (!value.includes('\u0000')) this.lastId = value;
        break;
      default:
        // `retry` and unknown fields: ignored
        break;
    }
  }

  private dispatch(): void {
    const data = this.data;
    const type = this.eventType;
    this.data = [];
    this.eventType = '';
    this.eventChars = 0;
    if (data.length === 0) return;
    this.onEvent({ event: type === '' ? 'message' : type, data: data.join('\n'), id: this.lastId });
  }
}
