// Tests take their ports from the same allocator as the benchmarks and the chaos harness.
export { freePort, freePorts } from '@skyroad/ports';
