import { Body, Controller, Get, Inject, Post } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { InstanceRegistry, createNamespaceSchema } from '@skyroad/registry-core';
import type { z } from 'zod';
import { Actor } from '../common/actor.decorator';
import { openApiSchema } from '../common/openapi';
import { ZodValidationPipe } from '../common/zod-validation.pipe';

@ApiTags('namespaces')
@Controller('v1/namespaces')
export class NamespacesController {
  constructor(@Inject(InstanceRegistry) private readonly registry: InstanceRegistry) {}

  @Get()
  @ApiOperation({ summary: 'Every namespace ("default" always exists)' })
  list() {
    return this.registry.namespaces();
  }

  @Post()
  @ApiOperation({ summary: 'Create a namespace (201; 409 when it exists)' })
  @ApiBody({ schema: openApiSchema(createNamespaceSchema) })
  create(
    @Body(new ZodValidationPipe(createNamespaceSchema)) body: z.output<typeof createNamespaceSchema>,
    @Actor() actor: string,
  ) {
    return this.registry.createNamespace(body.name, actor);
  }
}
