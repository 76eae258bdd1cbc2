/*
 * A child process for the engine crash test, doing what a single store member does with each
 * write: save the entry to the WAL (fsync), apply it to the engine, then answer. On start it
 * first replays the WAL entries after the backend's consistent index. Prints `ack <index>`.
 */
import { join } from 'node:path';
import { encodeRequest } from '../../src/applier/request';
import { StoreEngine } from '../../src/engine';
import { Wal } from '../../src/wal/wal';

const IN_FLIGHT_WRITES = 8;
/** Small segments, so that releasing old ones happens often during the test. */
const SEGMENT_BYTES = 16 * 1024;
/** Every this many entries, old segments are released (after the backend is flushed). */
const RELEASE_EVERY_ENTRIES = 100;

const dataDir = process.argv[2];
const { wal, contents } = Wal.open(join(dataDir, 'wal'), { segmentBytes: SEGMENT_BYTES });
const engine = StoreEngine.open({ dataDir, watch: { timers: false } });
const replayed = engine.applier.applyEntries(contents.entries).filter((r) => r !== undefined).length;
let next = (contents.entries.at(-1)?.index ?? 0) + 1;
process.stdout.write(`opened consistent=${engine.applier.consistentIndex} replayed=${replayed}\n`);

function writeOne(): void {
  const index = next++;
  const data = encodeRequest({
    kind: 'put',
    put: { key: Buffer.from(`k/${index}`), value: Buffer.from(`v${index}`) },
  });
  const entry = { index, term: 1, type: 0, data };
  wal
    .save({ term: 1, vote: 1, commit: index }, [entry])
    .then(() => {
      const [result] = engine.applier.applyEntries([entry]);
      if (result?.response?.kind !== 'put') throw new Error(`entry ${index} not applied`);
      process.stdout.write(`ack ${index}\n`);
      if (index % RELEASE_EVERY_ENTRIES === 0) {
        // What the server does after a snapshot: the backend has everything up to `applied`
        // on disk, so the WAL before it is no longer needed.
        const applied = engine.applier.consistentIndex;
        void engine.backend.flushed().then(() => wal.releaseTo(applied));
      }
      // The next write on a later turn, as the server takes each Ready (setImmediate): a WAL
      // that syncs inline resolves saves at once, and chaining them in promise callbacks would
      // never let the event loop run the backend flush and segment release above.
      setImmediate(writeOne);
    })
    .catch((error: Error) => {
      process.stderr.write(`write failed: ${error.message}\n`);
      process.exit(1);
    });
}

for (let i = 0; i < IN_FLIGHT_WRITES; i++) writeOne();
