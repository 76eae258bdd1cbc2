import pino from 'pino';
import type { LogLevel } from '../config/flags';

export type Logger = pino.Logger;

/** Structured JSON logs on stderr, one object per line (etcd logs to stderr too). */
export function createLogger(name: string, level: LogLevel): Logger {
  return pino({ level, base: { member: name } }, pino.destination({ fd: 2, sync: false }));
}
