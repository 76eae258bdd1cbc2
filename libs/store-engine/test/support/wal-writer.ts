/*
 * A child process for the WAL crash test: opens the WAL in argv[2], then appends entries
 * forever, several saves in flight, printing `ack <index>` once a save has resolved (fsynced).
 * The test SIGKILLs it at an arbitrary moment. argv[3], if given, is the segment size.
 */
import { Wal } from '../../src/wal/wal';
import { walPayload } from './wal-payload';

const IN_FLIGHT_SAVES = 16;

const dir = process.argv[2];
const segmentBytes = process.argv[3] ? Number(process.argv[3]) : undefined;
const { wal, contents } = Wal.open(dir, { segmentBytes });
let next = (contents.entries.at(-1)?.index ?? 0) + 1;
process.stdout.write(`opened ${next - 1}\n`);

function saveOne(): void {
  const index = next++;
  const state = index % 10 === 0 ? { term: 1, vote: 1, commit: index } : undefined;
  wal
    .save(state, [{ index, term: 1, type: 0, data: walPayload(index) }])
    .then(() => {
      process.stdout.write(`ack ${index}\n`);
      saveOne();
    })
    .catch((error: Error) => {
      process.stderr.write(`save failed: ${error.message}\n`);
      process.exit(1);
    });
}

for (let i = 0; i < IN_FLIGHT_SAVES; i++) saveOne();
