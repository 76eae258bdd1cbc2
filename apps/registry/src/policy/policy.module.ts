import { Module } from '@nestjs/common';
import {
  AuditLog,
  InstanceRegistry,
  KeySpaceCache,
  PolicyHistory,
  PolicyService,
  type RegistryStore,
} from '@skyroad/registry-core';
import { REGISTRY_STORE } from '../tokens';
import { PolicyController } from './policy.controller';

@Module({
  controllers: [PolicyController],
  providers: [
    {
      provide: PolicyService,
      inject: [REGISTRY_STORE, KeySpaceCache, InstanceRegistry, PolicyHistory, AuditLog],
      useFactory: (
        store: RegistryStore,
        cache: KeySpaceCache,
        instances: InstanceRegistry,
        history: PolicyHistory,
        audit: AuditLog,
      ) => new PolicyService(store, cache, instances, history, audit),
    },
  ],
  exports: [PolicyService],
})
export class PolicyModule {}
