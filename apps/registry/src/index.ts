export { createRegistryApp, startRegistry, stopRegistryApp, type RunningRegistry } from './registry-app';
export { AppModule, type AppOptions } from './app.module';
