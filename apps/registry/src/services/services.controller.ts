import { Controller, Get, Inject, Param } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { InstanceRegistry, namespaceParamsSchema } from '@skyroad/registry-core';
import type { z } from 'zod';
import { ZodValidationPipe } from '../common/zod-validation.pipe';

@ApiTags('services')
@Controller('v1/namespaces/:ns/services')
export class ServicesController {
  constructor(@Inject(InstanceRegistry) private readonly registry: InstanceRegistry) {}

  @Get()
  @ApiOperation({ summary: 'Services of a namespace with their instance counts' })
  list(
    @Param(new ZodValidationPipe(namespaceParamsSchema, 'path'))
    { ns }: z.output<typeof namespaceParamsSchema>,
  ) {
    return this.registry.services(ns);
  }
}
