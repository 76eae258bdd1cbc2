import { covered, toRange } from '../src/auth/key-ranges';

const b = (s: string) => Buffer.from(s);
const NONE = Buffer.alloc(0);
const ZERO = Buffer.from([0]);

describe('permission ranges', () => {
  const prefixA = toRange(b('a/'), b('a0'));
  it('covers a single key inside a granted prefix', () => {
    expect(covered(toRange(b('a/x'), NONE), [prefixA])).toBe(true);
    expect(covered(toRange(b('b/x'), NONE), [prefixA])).toBe(false);
  });
  it('covers a range only when the granted ranges leave no gap', () => {
    expect(covered(toRange(b('a/'), b('a0')), [toRange(b('a/'), b('a/m')), toRange(b('a/m'), b('a0'))])).toBe(
      true,
    );
    expect(covered(toRange(b('a/'), b('a0')), [toRange(b('a/'), b('a/m')), toRange(b('a/n'), b('a0'))])).toBe(
      false,
    );
  });
  it('treats "\\0" as "to the end of the key space"', () => {
    expect(covered(toRange(b('m'), ZERO), [toRange(b('a'), ZERO)])).toBe(true);
    expect(covered(toRange(b('m'), ZERO), [toRange(b('a'), b('z'))])).toBe(false);
  });
});
