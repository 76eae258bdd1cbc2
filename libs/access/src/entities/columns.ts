import type { ValueTransformer } from 'typeorm';

/**
 * Times are stored as bigint milliseconds since the epoch: the same on SQLite and PostgreSQL,
 * no time-zone conversions. PostgreSQL's driver returns bigint as a string, hence the parse.
 */
export const epochMillis: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => (value === null || value === undefined ? null : Number(value)),
};

/** A list of namespace names kept as a JSON array in a text column. */
export const namespaceList: ValueTransformer = {
  to: (value: string[] | undefined) => JSON.stringify(value ?? []),
  from: (value: string | null) => (value ? (JSON.parse(value) as string[]) : []),
};
