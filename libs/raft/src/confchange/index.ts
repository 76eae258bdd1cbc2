export * from './changer';
