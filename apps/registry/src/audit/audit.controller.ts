import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditLog, auditQuerySchema } from '@skyroad/registry-core';
import type { z } from 'zod';
import { ZodValidationPipe } from '../common/zod-validation.pipe';

@ApiTags('audit')
@Controller('v1/audit')
export class AuditController {
  constructor(@Inject(AuditLog) private readonly audit: AuditLog) {}

  @Get()
  @ApiOperation({ summary: 'Recorded writes, newest first (?namespace=&service=&limit=)' })
  async list(
    @Query(new ZodValidationPipe(auditQuerySchema, 'query')) query: z.output<typeof auditQuerySchema>,
  ) {
    return { events: await this.audit.list(query) };
  }
}
