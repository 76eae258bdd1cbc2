import { waitFor } from '@skyroad/testkit';

export interface SseEvent {
  id?: string;
  event: string;
  // Checked by the tests' assertions, not by types.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  data: any;
}

/** A Server-Sent Events client over fetch that collects parsed events as they arrive. */
export class SseClient {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  private readonly controller = new AbortController();
  private ended = false;
  status = 0;
  contentType = '';

  private constructor() {}

  static async open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const client = new SseClient();
    const response = await fetch(url, {
      headers: { accept: 'text/event-stream', ...headers },
      signal: client.controller.signal,
    });
    client.status = response.status;
    client.contentType = response.headers.get('content-type') ?? '';
    if (!response.body) throw new Error('no body');
    void client.read(response.body);
    return client;
  }

  get closedByServer(): boolean {
    return this.ended;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let boundary: number;
        while ((boundary = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, boundary);
          buffer = buffer.slice(boundary + 2);
          this.parse(block);
        }
      }
    } catch {
      // aborted by close()
    }
    this.ended = true;
  }

  private parse(block: string): void {
    const event: Partial<SseEvent> & { dataLines: string[] } = { dataLines: [] };
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
      else if (line.startsWith('id: ')) event.id = line.slice(4);
      else if (line.startsWith('event: ')) event.event = line.slice(7);
      else if (line.startsWith('data: ')) event.dataLines.push(line.slice(6));
    }
    if (event.event === undefined) return;
    this.events.push({ id: event.id, event: event.event, data: JSON.parse(event.dataLines.join('\n')) });
  }

  /** Waits until at least `count` events arrived; answers them all. */
  async waitForEvents(count: number, what = `${count} events`): Promise<SseEvent[]> {
    await waitFor(() => this.events.length >= count, { what, timeoutMs: 10_000 });
    return this.events;
  }

  close(): void {
    this.controller.abort();
  }
}
