import { Injectable, type PipeTransform } from '@nestjs/common';
import { parseOrThrow } from '@skyroad/registry-core';
import type { z } from 'zod';

/** Validates a body, params or query object with a zod schema; a 400 lists every reason. */
@Injectable()
export class ZodValidationPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(
    private readonly schema: S,
    private readonly root = 'body',
  ) {}

  transform(value: unknown): z.output<S> {
    return parseOrThrow(this.schema, value, this.root);
  }
}
