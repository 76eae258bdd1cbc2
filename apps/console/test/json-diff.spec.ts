import { canonicalJson, diffDocuments, diffLines, hasChanges } from '../src/lib/json-diff';

describe('json diff', () => {
  it('ignores key order and shows only what changed', () => {
    const before = { timeoutMs: 1000, loadBalancer: { strategy: 'random' } };
    const after = { loadBalancer: { strategy: 'random' }, timeoutMs: 2000 };
    const changed = diffDocuments(before, after).filter((l) => l.kind !== 'same');
    expect(changed).toEqual([
      { kind: 'removed', text: '  "timeoutMs": 1000' },
      { kind: 'added', text: '  "timeoutMs": 2000' },
    ]);
    expect(hasChanges(diffDocuments(before, { ...before }))).toBe(false);
  });

  it('keeps common lines in order (longest common subsequence)', () => {
    const diff = diffLines(['a', 'b', 'c', 'd'], ['a', 'c', 'd', 'e']);
    expect(diff.map((l) => `${l.kind[0]}${l.text}`)).toEqual(['sa', 'rb', 'sc', 'sd', 'ae']);
  });

  it('prints canonical JSON with sorted keys at every depth', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] })).toBe(
      '{\n  "a": [\n    {\n      "c": 2,\n      "d": 1\n    }\n  ],\n  "b": 1\n}',
    );
  });
});
