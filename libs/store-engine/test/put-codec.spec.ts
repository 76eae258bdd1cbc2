import { PUT_V1 } from '../src/applier/put-codec';
import { decodeRequest, encodeRequest, type InternalRequest } from '../src/applier/request';

/** What the JSON encoding (the only one before binary puts) made of a request. */
function viaJson(request: InternalRequest): InternalRequest {
  const json = JSON.stringify(request, function (this: Record<string, unknown>, key: string, value: unknown) {
    const raw = this[key];
    if (raw instanceof Uint8Array) return { $b: Buffer.from(raw).toString('base64') };
    if (typeof value === 'bigint') return { $n: value.toString() };
    return value;
  });
  return decodeRequest(Buffer.from(json, 'utf8'));
}

describe('binary put entries', () => {
  const puts: InternalRequest[] = [
    { kind: 'put', put: { key: Buffer.from('a') } },
    { id: 'x1-7', kind: 'put', put: { key: Buffer.from('k'), value: Buffer.alloc(256, 7) } },
    {
      id: 'ü',
      kind: 'put',
      put: { key: Buffer.from([0, 255]), value: Buffer.alloc(0), lease: 7587862102915441000n },
    },
    {
      kind: 'put',
      put: { key: Buffer.from('k'), lease: -1n, prevKv: true, ignoreValue: false, ignoreLease: true },
    },
    {
      kind: 'put',
      put: { key: Buffer.from('k'), value: undefined, lease: undefined, prevKv: false, ignoreValue: true },
    },
  ];

  it.each(puts.map((p, i) => [i, p]))('put %i decodes to what its JSON encoding did', (_i, request) => {
    const data = encodeRequest(request);
    expect(data[0]).toBe(PUT_V1);
    expect(decodeRequest(data)).toEqual(viaJson(request));
  });

  it('keeps JSON for requests it cannot carry exactly, and still reads JSON puts', () => {
    const odd = { kind: 'put', put: { key: Buffer.from('k'), extra: 1 } } as unknown as InternalRequest;
    expect(encodeRequest(odd)[0]).toBe('{'.charCodeAt(0));
    const huge: InternalRequest = { kind: 'put', put: { key: Buffer.from('k'), lease: 2n ** 63n } };
    expect(encodeRequest(huge)[0]).toBe('{'.charCodeAt(0));
    expect(decodeRequest(encodeRequest(huge))).toEqual(huge);
    const old = Buffer.from('{"kind":"put","put":{"key":{"$b":"YQ=="},"value":{"$b":"Yg=="}},"id":"r-1"}');
    expect(decodeRequest(old)).toEqual({
      kind: 'put',
      put: { key: Buffer.from('a'), value: Buffer.from('b') },
      id: 'r-1',
    });
  });

  it('refuses a cut or padded binary entry with a clear error', () => {
    const data = encodeRequest({ kind: 'put', put: { key: Buffer.from('key'), value: Buffer.from('v') } });
    expect(() => decodeRequest(data.subarray(0, data.length - 1))).toThrow(/cut short/);
    expect(() => decodeRequest(Buffer.concat([data, Buffer.from([0])]))).toThrow(/too many/);
  });

  it('copies keys and values out of the entry', () => {
    const data = encodeRequest({ kind: 'put', put: { key: Buffer.from('key'), value: Buffer.from('v') } });
    const decoded = decodeRequest(data) as Extract<InternalRequest, { kind: 'put' }>;
    data.fill(0);
    expect(decoded.put.key).toEqual(Buffer.from('key'));
    expect(decoded.put.value).toEqual(Buffer.from('v'));
  });
});
