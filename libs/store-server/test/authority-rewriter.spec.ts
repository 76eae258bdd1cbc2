import { AuthorityRewriter, rewriteHeaderBlock } from '../src/server/authority-rewriter';

/** A literal-with-indexing field for a static-table name, with a raw string value. */
const literal = (nameIndex: number, value: string) =>
  Buffer.concat([Buffer.from([0x40 | nameIndex, value.length]), Buffer.from(value)]);

describe(':authority rewriting', () => {
  const block = Buffer.concat([
    Buffer.from([0x83, 0x86]), // :method POST, :scheme http (indexed)
    literal(4, '/etcdserverpb.Maintenance/Status'),
    literal(1, 'http://127.0.0.1:2379'),
    literal(31, 'application/grpc'),
  ]);

  it('replaces the literal :authority value and leaves every other field as it was', () => {
    const out = rewriteHeaderBlock(block)!;
    expect(out).toEqual(
      Buffer.concat([
        Buffer.from([0x83, 0x86]),
        literal(4, '/etcdserverpb.Maintenance/Status'),
        literal(1, 'x'),
        literal(31, 'application/grpc'),
      ]),
    );
    expect(rewriteHeaderBlock(Buffer.from([0x83, 0x86, 0xbe]))).toBeUndefined();
  });

  it('rewrites HEADERS frames split across chunks and passes the preface and other frames through', () => {
    const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
    const frame = (type: number, flags: number, payload: Buffer) => {
      const header = Buffer.alloc(9);
      header.writeUIntBE(payload.length, 0, 3);
      header[3] = type;
      header[4] = flags;
      header.writeUInt32BE(1, 5);
      return Buffer.concat([header, payload]);
    };
    const settings = frame(0x4, 0, Buffer.alloc(0));
    const headers = frame(0x1, 0x4, block);
    const wire = Buffer.concat([preface, settings, headers]);
    const rewriter = new AuthorityRewriter();
    const out = Buffer.concat(
      [...Array(Math.ceil(wire.length / 7)).keys()].map((i) =>
        rewriter.push(wire.subarray(i * 7, i * 7 + 7)),
      ),
    );
    const expected = Buffer.concat([preface, settings, frame(0x1, 0x4, rewriteHeaderBlock(block)!)]);
    expect(out).toEqual(expected);
  });
});
