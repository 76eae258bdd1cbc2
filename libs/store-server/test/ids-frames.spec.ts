import { clusterIdFor, hexId, memberIdFor } from '../src/cluster/ids';
import { encodeFrame, FrameKind, FrameReader } from '../src/peer/frames';

describe('member and cluster ids', () => {
  it('derive from peer URLs and the cluster token, as etcd does, and fit a JavaScript number', () => {
    const a = memberIdFor(['http://10.0.0.1:2380'], 'token-1');
    expect(memberIdFor(['http://10.0.0.1:2380'], 'token-1')).toBe(a);
    expect(memberIdFor(['http://10.0.0.1:2380'], 'token-2')).not.toBe(a);
    expect(Number.isSafeInteger(a) && a > 0).toBe(true);
    const b = memberIdFor(['http://10.0.0.2:2380'], 'token-1');
    expect(clusterIdFor([a, b])).toBe(clusterIdFor([b, a]));
    expect(hexId(255)).toBe('ff');
  });
});

describe('peer frames', () => {
  it('reassemble from arbitrary chunk boundaries', () => {
    const wire = Buffer.concat([
      encodeFrame(FrameKind.Raft, Buffer.from('first')),
      encodeFrame(FrameKind.RpcRequest, Buffer.from('second')),
    ]);
    const reader = new FrameReader();
    const frames = [];
    for (let i = 0; i < wire.length; i += 3) frames.push(...reader.push(wire.subarray(i, i + 3)));
    expect(frames.map((f) => [f.kind, f.payload.toString()])).toEqual([
      [FrameKind.Raft, 'first'],
      [FrameKind.RpcRequest, 'second'],
    ]);
  });
  it('refuses a frame claiming an absurd length', () => {
    const bad = Buffer.alloc(5);
    bad.writeUInt32BE(0xffffffff, 0);
    expect(() => new FrameReader().push(bad)).toThrow(/refused/);
  });
});
