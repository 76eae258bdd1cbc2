import type { ServerHttp2Session } from 'node:http2';

/**
 * The connection-level HTTP/2 receive window each client connection gets: how many bytes of
 * requests a client may send before it needs the member's next WINDOW_UPDATE.
 *
 * HTTP/2 opens every connection at 65,535 bytes and Node's server never raises it. The etcd
 * clients multiplex every call to a member over one connection, so 500 puts in flight hold
 * ~150 KB of request bodies. Measured in the store benchmark at 500 clients: the client's send
 * window sat at 0 for up to 0.9 s at a time, the member had the headers of calls whose bodies
 * came 1-5 s later (while the client's socket held a few KB it had not read), and every run had
 * puts that took seconds; with this window the slowest took 0.23-0.37 s (etcd's 0.28-0.41 s).
 * grpc-go (etcd) grows its windows by bandwidth-delay estimates up to 16 MiB (its bdpLimit);
 * this opens the connection window at that bound.
 *
 * It adds no memory a client could not already hold: Node hands connection-level credit back as
 * soon as bytes arrive, and what stays buffered is bounded by each stream's own window, which
 * is left at the default.
 */
export const CONNECTION_WINDOW_BYTES = 16 * 1024 * 1024;

/** Opens a new session's connection window to CONNECTION_WINDOW_BYTES. */
export function widenConnectionWindow(session: ServerHttp2Session): void {
  try {
    session.setLocalWindowSize(CONNECTION_WINDOW_BYTES);
  } catch {
    // the session was destroyed before it started: nothing to widen
  }
}
