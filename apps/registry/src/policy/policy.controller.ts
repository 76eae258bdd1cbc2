import { Body, Controller, Get, HttpCode, Inject, Param, Post, Put } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { policySchema } from '@skyroad/governance';
import { PolicyService, rollbackSchema, serviceParamsSchema } from '@skyroad/registry-core';
import type { z } from 'zod';
import { Actor } from '../common/actor.decorator';
import { openApiSchema } from '../common/openapi';
import { ZodValidationPipe } from '../common/zod-validation.pipe';

type ServiceParams = z.output<typeof serviceParamsSchema>;

@ApiTags('policy')
@Controller('v1/namespaces/:ns/services/:svc/policy')
export class PolicyController {
  constructor(@Inject(PolicyService) private readonly policies: PolicyService) {}

  @Get()
  @ApiOperation({ summary: "The service's governance policy (404 when it has none)" })
  get(@Param(new ZodValidationPipe(serviceParamsSchema, 'path')) { ns, svc }: ServiceParams) {
    return this.policies.get(ns, svc);
  }

  @Put()
  @ApiOperation({ summary: 'Replace the policy (validated by libs/governance; 400 with every reason)' })
  @ApiBody({ schema: openApiSchema(policySchema) })
  put(
    @Param(new ZodValidationPipe(serviceParamsSchema, 'path')) { ns, svc }: ServiceParams,
    @Body() body: unknown,
    @Actor() actor: string,
  ) {
    return this.policies.put(ns, svc, body, actor);
  }

  @Get('history')
  @ApiOperation({ summary: 'Every version, newest first: who, when, what' })
  async history(@Param(new ZodValidationPipe(serviceParamsSchema, 'path')) { ns, svc }: ServiceParams) {
    return { versions: await this.policies.versions(ns, svc) };
  }

  @Post('rollback')
  @HttpCode(200)
  @ApiOperation({ summary: 'Make an earlier version current again (adds a version)' })
  @ApiBody({ schema: openApiSchema(rollbackSchema) })
  rollback(
    @Param(new ZodValidationPipe(serviceParamsSchema, 'path')) { ns, svc }: ServiceParams,
    @Body(new ZodValidationPipe(rollbackSchema)) body: z.output<typeof rollbackSchema>,
    @Actor() actor: string,
  ) {
    return this.policies.rollback(ns, svc, body.version, actor);
  }
}
