import { ArgumentsHost, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import { RegistryError, MAX_BODY_BYTES } from '@skyroad/registry-core';
import type { Response } from 'express';
import { STATUS_CODES } from 'node:http';

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  reasons: string[];
}

/** What an error becomes on the wire: status, message and every reason. */
export function toErrorBody(error: unknown): ErrorBody {
  const body = (statusCode: number, message: string, reasons = [message]): ErrorBody => ({
    statusCode,
    error: STATUS_CODES[statusCode] ?? 'Error',
    message,
    reasons,
  });
  if (error instanceof RegistryError) return body(error.statusCode, error.message, error.reasons);
  if (error instanceof HttpException) {
    const response = error.getResponse();
    const message =
      typeof response === 'string'
        ? response
        : String((response as { message?: unknown }).message ?? error.message);
    return body(error.getStatus(), message);
  }
  // body-parser's errors carry a 4xx `status` and a `type`.
  const parserError = error as { status?: unknown; type?: unknown; message?: string };
  if (typeof parserError.status === 'number' && parserError.status >= 400 && parserError.status < 500) {
    if (parserError.type === 'entity.too.large') {
      return body(413, `request body is larger than ${MAX_BODY_BYTES} bytes`);
    }
    if (parserError.type === 'entity.parse.failed') {
      return body(400, `request body is not valid JSON: ${parserError.message ?? 'parse error'}`);
    }
    return body(parserError.status, parserError.message ?? 'bad request');
  }
  return body(500, 'internal error');
}

/** The one place where errors become HTTP answers. */
@Catch()
export class RegistryExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(error: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const body = toErrorBody(error);
    if (body.statusCode >= 500) this.logger.error({ err: error }, body.message);
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(body.statusCode).json(body);
  }
}
