import { request, type ClientRequest } from 'node:http';

const OPEN_BATCH = 100;
const SNAPSHOT_TIMEOUT_MS = 30_000;

/**
 * Many Server-Sent Events streams to one URL, each on its own connection (as many SDKs
 * would hold). Every event's name and data go to `onEvent` with the stream's index.
 */
export class SseWatchers {
  private readonly requests: ClientRequest[] = [];

  private constructor(
    private readonly url: string,
    private readonly onEvent: (index: number, event: string, data: string) => void,
  ) {}

  /** Opens `count` streams and resolves once each has received its first event (the snapshot). */
  static async open(
    url: string,
    count: number,
    onEvent: (index: number, event: string, data: string) => void,
  ): Promise<SseWatchers> {
    const watchers = new SseWatchers(url, onEvent);
    try {
      for (let from = 0; from < count; from += OPEN_BATCH) {
        const batch = [];
        for (let i = from; i < Math.min(count, from + OPEN_BATCH); i++) batch.push(watchers.openOne(i));
        await Promise.all(batch);
      }
    } catch (error) {
      watchers.close();
      throw error;
    }
    return watchers;
  }

  close(): void {
    for (const req of this.requests) req.destroy();
  }

  private openOne(index: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`watch stream ${index}: no snapshot`)),
        SNAPSHOT_TIMEOUT_MS,
      );
      const req = request(this.url, { agent: false, headers: { accept: 'text/event-stream' } }, (res) => {
        if (res.statusCode !== 200) {
          clearTimeout(timer);
          reject(new Error(`watch stream ${index}: HTTP ${res.statusCode}`));
          return;
        }
        res.setEncoding('utf8');
        let buffer = '';
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            let event = 'message';
            let data = '';
            for (const line of block.split('\n')) {
              if (line.startsWith('event:')) event = line.slice(6).trim();
              else if (line.startsWith('data:')) data += line.slice(5).trimStart();
            }
            if (!data) continue;
            clearTimeout(timer);
            resolve();
            this.onEvent(index, event, data);
          }
        });
        res.on('error', () => undefined);
      });
      req.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      req.end();
      this.requests.push(req);
    });
  }
}
