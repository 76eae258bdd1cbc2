import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  Put,
  Query,
  Res,
} from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  InstanceRegistry,
  instanceParamsSchema,
  listInstancesQuerySchema,
  patchInstanceSchema,
  registerInstanceSchema,
  serviceParamsSchema,
  type PatchInstanceInput,
  type RegisterInstanceInput,
} from '@skyroad/registry-core';
import type { Response } from 'express';
import type { z } from 'zod';
import { Actor } from '../common/actor.decorator';
import { openApiSchema } from '../common/openapi';
import { sendSerialized } from '../common/send-serialized';
import { ZodValidationPipe } from '../common/zod-validation.pipe';

type ServiceParams = z.output<typeof serviceParamsSchema>;
type InstanceParams = z.output<typeof instanceParamsSchema>;

@ApiTags('instances')
@Controller('v1/namespaces/:ns/services/:svc/instances')
export class InstancesController {
  constructor(@Inject(InstanceRegistry) private readonly registry: InstanceRegistry) {}

  @Post()
  @ApiOperation({ summary: 'Register an instance (201 with the Instance)' })
  @ApiBody({ schema: openApiSchema(registerInstanceSchema) })
  register(
    @Param(new ZodValidationPipe(serviceParamsSchema, 'path')) { ns, svc }: ServiceParams,
    @Body(new ZodValidationPipe(registerInstanceSchema)) body: RegisterInstanceInput,
    @Actor() actor: string,
  ) {
    return this.registry.register(ns, svc, body, actor);
  }

  @Get()
  @ApiOperation({
    summary:
      'The instances of a service and the store revision they reflect (ETag; 304 for If-None-Match; gzipped for Accept-Encoding: gzip)',
  })
  @ApiHeader({ name: 'If-None-Match', required: false, description: 'An ETag of an earlier answer' })
  @ApiHeader({
    name: 'Accept-Encoding',
    required: false,
    description: 'gzip: answers of 1 KiB or more come gzipped (Content-Encoding: gzip, ETag ending in -gzip)',
  })
  async list(
    @Param(new ZodValidationPipe(serviceParamsSchema, 'path')) { ns, svc }: ServiceParams,
    @Query(new ZodValidationPipe(listInstancesQuerySchema, 'query'))
    query: z.output<typeof listInstancesQuerySchema>,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Headers('accept-encoding') acceptEncoding: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    // Answered from kept bytes (see InstanceRegistry.listSerialized); errors still reach the filter.
    const answer = await this.registry.listSerialized(ns, svc, query.healthy === 'true');
    sendSerialized(res, answer, ifNoneMatch, acceptEncoding);
  }

  @Put(':id/heartbeat')
  @HttpCode(200)
  @ApiOperation({ summary: 'Keep an instance alive; 404 once it expired (register again)' })
  heartbeat(@Param(new ZodValidationPipe(instanceParamsSchema, 'path')) { ns, svc, id }: InstanceParams) {
    return this.registry.heartbeat(ns, svc, id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Deregister an instance' })
  async deregister(
    @Param(new ZodValidationPipe(instanceParamsSchema, 'path')) { ns, svc, id }: InstanceParams,
    @Actor() actor: string,
  ): Promise<void> {
    await this.registry.deregister(ns, svc, id, actor);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Operator change: weight, enabled, metadata' })
  @ApiBody({ schema: openApiSchema(patchInstanceSchema) })
  patch(
    @Param(new ZodValidationPipe(instanceParamsSchema, 'path')) { ns, svc, id }: InstanceParams,
    @Body(new ZodValidationPipe(patchInstanceSchema)) body: PatchInstanceInput,
    @Actor() actor: string,
  ) {
    return this.registry.patch(ns, svc, id, body, actor);
  }
}
