export * from './config/flags';
export { StoreServer } from './server/store-server';
export { createLogger, type Logger } from './log/logger';
export { memberIdFor, clusterIdFor, hexId } from './cluster/ids';
