import { validatePolicy, type Policy } from '@skyroad/governance';
import {
  draftToDocument,
  errorsByPath,
  parseMap,
  policyToDraft,
  presetDestinations,
} from '../src/lib/policy-draft';

/* The editor's draft must carry every part of the policy document there and back. */
const FULL: Policy = {
  loadBalancer: { strategy: 'consistent_hash', hashOn: 'header:x-user-id' },
  routes: [
    {
      name: 'canary-testers',
      match: { headers: { 'x-canary': '1' }, callerMetadata: { team: 'qa' } },
      destinations: [{ subset: { version: 'v2' }, weight: 100 }],
    },
  ],
  defaultRoute: {
    destinations: [
      { subset: { version: 'v1' }, weight: 90 },
      { subset: { version: 'v2', zone: 'bj-a' }, weight: 10 },
    ],
  },
  circuitBreaker: {
    errorRatePercent: 50,
    minRequests: 20,
    windowMs: 10000,
    openMs: 30000,
    halfOpenRequests: 5,
  },
  rateLimit: { requestsPerSecond: 100, burst: 50 },
  timeoutMs: 2000,
  retry: { attempts: 2, on: ['connect-failure', '5xx'] },
};

describe('policy draft', () => {
  it('round-trips a document that uses every field', () => {
    const { document, problems } = draftToDocument(policyToDraft(FULL));
    expect(problems).toEqual([]);
    expect(document).toEqual(FULL);
  });

  it('turns the empty document into an empty draft and back', () => {
    expect(draftToDocument(policyToDraft({})).document).toEqual({});
    expect(draftToDocument(policyToDraft(undefined)).document).toEqual({});
  });

  it('keeps what is not a number as text, so validation names the field', () => {
    const draft = policyToDraft(FULL);
    draft.timeoutMs = 'soon';
    draft.defaultRoute.destinations[1].weight = '20';
    const result = validatePolicy(draftToDocument(draft).document);
    expect(result.ok).toBe(false);
    const byPath = errorsByPath(result.ok ? [] : result.errors);
    expect(byPath.get('timeoutMs')).toEqual(['must be a number']);
    expect(byPath.get('defaultRoute.destinations')).toEqual(['weights must add up to 100 (got 110)']);
  });

  it('reports name=value lists it cannot read, with their path', () => {
    const draft = policyToDraft(FULL);
    draft.routes[0].headers = 'x-canary=1, oops';
    expect(draftToDocument(draft).problems).toEqual(['routes[0].match.headers: "oops" is not name=value']);
    expect(parseMap(' a = 1 ,, b=two=2 ')).toEqual({ map: { a: '1', b: 'two=2' }, problems: [] });
  });

  it('fills rollout presets that add up to 100', () => {
    expect(presetDestinations('canary', 'version', 'v1', 'v2', 10)).toEqual([
      { subset: 'version=v1', weight: '90' },
      { subset: 'version=v2', weight: '10' },
    ]);
    expect(presetDestinations('blue-green', 'color', 'blue', 'green', 10).map((d) => d.weight)).toEqual([
      '0',
      '100',
    ]);
    expect(presetDestinations('gray', 'version', 'v1', 'v2', 150).map((d) => d.weight)).toEqual(['0', '100']);
  });
});
