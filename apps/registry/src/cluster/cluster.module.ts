import { Module } from '@nestjs/common';
import { ClusterController } from './cluster.controller';
import { ClusterService } from './cluster.service';

/** GET /v1/cluster: the store clusters the registry uses, read-only. */
@Module({ controllers: [ClusterController], providers: [ClusterService] })
export class ClusterModule {}
