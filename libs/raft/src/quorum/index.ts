export * from './vote-result';
export * from './majority';
export * from './joint';
