import fc from 'fast-check';
import { SseParser, type SseEvent } from '../src/index';

function parseAll(chunks: string[]): SseEvent[] {
  const events: SseEvent[] = [];
  const parser = new SseParser((e) => events.push(e));
  for (const c of chunks) parser.feed(c);
  return events;
}

describe('SseParser', () => {
  it('parses events, ids, multi-line data and comments', () => {
    const text =
      '\uFEFF: keepalive\n\nevent: snapshot\nid: 7\ndata: {"a":\ndata: 1}\n\n' +
      'data:no-space\r\n\r\nevent: x\nretry: 5\nunknown: y\n\nid: 9\ndata\n\n';
    expect(parseAll([text])).toEqual([
      { event: 'snapshot', data: '{"a":\n1}', id: '7' },
      { event: 'message', data: 'no-space', id: '7' },
      { event: 'message', data: '', id: '9' },
    ]);
  });

  it('gives the same events however the stream is cut into chunks, with any line ending', () => {
    const event = fc.record({
      event: fc.stringMatching(/^[a-z]{1,8}$/),
      data: fc.array(
        fc.string({ unit: 'grapheme-ascii' }).map((s) => s.replace(/[\r\n]/g, '')),
        {
          minLength: 1,
          maxLength: 3,
        },
      ),
      id: fc.nat().map(String),
    });
    fc.assert(
      fc.property(
        fc.array(event, { maxLength: 6 }),
        fc.constantFrom('\n', '\r\n', '\r'),
        fc.array(fc.nat(), { maxLength: 10 }),
        (events, eol, cuts) => {
          const text = events
            .map(
              (e) =>
                `event: ${e.event}${eol}id: ${e.id}${eol}${e.data.map((d) => `data: ${d}${eol}`).join('')}${eol}`,
            )
            .join(`: keepalive${eol}`);
          const bounds = [0, ...cuts.map((c) => c % (text.length + 1)).sort((a, b) => a - b), text.length];
          const parsed = parseAll(bounds.slice(1).map((end, i) => text.slice(bounds[i], end)));
          expect(parsed).toEqual(events.map((e) => ({ event: e.event, data: e.data.join('\n'), id: e.id })));
        },
      ),
      { numRuns: 300 },
    );
  });
});
