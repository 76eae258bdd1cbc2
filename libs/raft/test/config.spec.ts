import { MemoryStorage, RaftConfigError, RawNode, SeededRandom } from '../src';

const base = () => ({
  id: 1,
  electionTick: 10,
  heartbeatTick: 1,
  storage: MemoryStorage.bootstrap([1]),
  random: new SeededRandom(1),
});

describe('RaftConfig', () => {
  it.each([
    ['id 0', { id: 0 }],
    ['heartbeat tick 0', { heartbeatTick: 0 }],
    ['election tick not above heartbeat tick', { electionTick: 1, heartbeatTick: 1 }],
    ['no inflight window', { maxInflightMsgs: 0 }],
  ])('refuses %s', (_name, override) => {
    expect(() => new RawNode({ ...base(), ...override })).toThrow(RaftConfigError);
  });

  it('uses the injected random source: same seed, same election timeout', () => {
    const ticksToCampaign = (seed: number): number => {
      const n = new RawNode({
        ...base(),
        storage: MemoryStorage.bootstrap([1, 2]),
        random: new SeededRandom(seed),
      });
      let ticks = 0;
      while (n.status().term === 0) {
        n.tick();
        ticks++;
      }
      return ticks;
    };
    expect(ticksToCampaign(7)).toBe(ticksToCampaign(7));
  });
});
