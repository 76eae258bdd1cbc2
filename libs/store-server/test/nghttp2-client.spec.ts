import { isNghttp2Client } from '../src/server/nghttp2-client';

// The first bytes each client sent to a plain TCP listener (captured with etcdctl 3.4 and etcd3).
const preface = '505249202a20485454502f322e300d0a0d0a534d0d0a0d0a';
const grpcGo = Buffer.from(preface + '000000040000000000', 'hex');
const grpcJs = Buffer.from(preface + '00000604000000000000040000ffff', 'hex');

describe('telling Node HTTP/2 clients from Go ones', () => {
  it('sends grpc-js (etcd3) natively and keeps etcdctl (grpc-go) on the rewriting path', () => {
    expect(isNghttp2Client(grpcJs)).toBe(true);
    expect(isNghttp2Client(grpcGo)).toBe(false);
  });

  it('keeps the rewriting path when it cannot tell', () => {
    expect(isNghttp2Client(grpcJs.subarray(0, 24))).toBe(false); // preface only
    expect(isNghttp2Client(grpcJs.subarray(0, grpcJs.length - 1))).toBe(false); // SETTINGS cut
    const other = Buffer.from(grpcJs);
    other.writeUInt32BE(1_048_576, other.length - 4); // a window that is not the default
    expect(isNghttp2Client(other)).toBe(false);
  });
});
