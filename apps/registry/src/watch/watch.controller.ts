import { Controller, Get, Headers, Inject, Param, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { InstanceRegistry, parseOrThrow, revisionSchema, serviceParamsSchema } from '@skyroad/registry-core';
import type { Response } from 'express';
import type { z } from 'zod';
import { ZodValidationPipe } from '../common/zod-validation.pipe';
import { WatchStreams } from './watch-streams.service';

@ApiTags('watch')
@Controller('v1/namespaces/:ns/services/:svc/watch')
export class WatchController {
  constructor(
    @Inject(WatchStreams) private readonly streams: WatchStreams,
    @Inject(InstanceRegistry) private readonly registry: InstanceRegistry,
  ) {}

  @Get()
  @ApiProduces('text/event-stream')
  @ApiOperation({
    summary:
      'Server-Sent Events: a snapshot, then every change with its revision; ?revision= or Last-Event-ID resumes',
  })
  async watch(
    @Param(new ZodValidationPipe(serviceParamsSchema, 'path'))
    { ns, svc }: z.output<typeof serviceParamsSchema>,
    @Query('revision') revisionQuery: string | undefined,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const raw = revisionQuery ?? lastEventId;
    const fromRevision =
      raw === undefined
        ? undefined
        : parseOrThrow(revisionSchema, raw, revisionQuery !== undefined ? 'revision' : 'Last-Event-ID');
    await this.registry.requireNamespace(ns);
    this.streams.stream(ns, svc, fromRevision, res);
  }
}
