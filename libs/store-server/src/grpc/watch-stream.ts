import { Errors, isEtcdError } from './errors';
import type { Caller, StoreApi, WireWatchStream } from './store-api';
import type { WatchCreateRequest, WatchRequest, WatchResponse } from '../wire/types';

/**
 * One client watch stream, transport-neutral: requests in through `handle`, responses out
 * through `send`, pumped from the member's stream one at a time so a slow client slows only
 * itself (the member's stream is bounded and turns its watchers into victims when full).
 */
export class WatchSession {
  private readonly stream: WireWatchStream;
  private closed = false;

  constructor(
    private readonly api: StoreApi,
    private readonly caller: Caller,
    private readonly send: (response: WatchResponse) => Promise<void> | void,
  ) {
    this.stream = api.openWatchStream();
    void this.pump();
  }

  handle(req: WatchRequest): void {
    if (this.closed) return;
    if (req.create_request) this.create(req.create_request);
    else if (req.cancel_request) this.stream.cancel(Number(req.cancel_request.watch_id));
    else if (req.progress_request) this.stream.progress();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stream.close();
  }

  private create(req: WatchCreateRequest): void {
    const refuse = (reason: string) =>
      void this.send({
        header: this.api.header(),
        watch_id: Number(req.watch_id) || -1,
        created: true,
        canceled: true,
        cancel_reason: reason,
        events: [],
      });
    try {
      this.api.checkPermission(this.caller, false, req.key, req.range_end);
    } catch {
      return refuse(Errors.permissionDenied().message);
    }
    try {
      this.stream.create(req);
    } catch (error) {
      refuse(isEtcdError(error) || error instanceof Error ? error.message : String(error));
    }
  }

  private async pump(): Promise<void> {
    for (;;) {
      const response = await this.stream.next();
      if (response === undefined || this.closed) return;
      await this.send(response);
    }
  }
}
