import { Logger } from '@aws-lambda-powertools/logger';

/**
 * Creates the structured JSON logger of a function (Powertools Logger), named after the consumer
 * or function so that every line says who wrote it.
 *
 * The level comes from `POWERTOOLS_LOG_LEVEL` (or Lambda's advanced logging controls) unless
 * given.
 */
export function createLogger(
  serviceName: string,
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT'
): Logger {
  return new Logger({ serviceName, ...(logLevel ? { logLevel } : {}) });
}
