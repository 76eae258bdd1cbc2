/** The data of entry `index` in the WAL crash test: its size and bytes both depend on the index. */
export function walPayload(index: number): Buffer {
  const size = 50 + ((index * 7919) % 3000);
  return Buffer.alloc(size, index % 256);
}
