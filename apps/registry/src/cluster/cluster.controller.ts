import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ClusterService, type ClusterReport } from './cluster.service';

@ApiTags('operations')
@Controller('v1/cluster')
export class ClusterController {
  constructor(@Inject(ClusterService) private readonly cluster: ClusterService) {}

  @Get()
  @ApiOperation({
    summary:
      'The store clusters in use (primary, standby): members, leader, raft term and index, db size, revision, version; reachable: false with the error when one does not answer',
  })
  report(): Promise<ClusterReport> {
    return this.cluster.report();
  }
}
