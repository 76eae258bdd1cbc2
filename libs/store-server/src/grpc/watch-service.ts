import type * as grpc from '@grpc/grpc-js';
import { callerOf, failStream } from './call-context';
import type { StoreApi } from './store-api';
import { WatchSession } from './watch-stream';
import type { WatchRequest, WatchResponse } from '../wire/types';

export function watchService(api: StoreApi): grpc.UntypedServiceImplementation {
  const Watch: grpc.handleBidiStreamingCall<WatchRequest, WatchResponse> = (call) => {
    let stream: WatchSession;
    try {
      stream = new WatchSession(api, callerOf(api, call.metadata), (response) => {
        // Wait for the socket to drain before taking the next response: back-pressure.
        if (!call.write(response)) return new Promise((resolve) => call.once('drain', () => resolve()));
      });
    } catch (error) {
      failStream(call, error);
      return;
    }
    call.on('data', (req: WatchRequest) => stream.handle(req));
    call.on('end', () => {
      stream.close();
      call.end();
    });
    call.on('error', () => stream.close());
    call.on('cancelled', () => stream.close());
    call.on('close', () => stream.close());
  };
  return { Watch };
}
