import { Stack } from 'aws-cdk-lib';
import type { CfnFunction, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { LAMBDA_ENVIRONMENT_MAX_BYTES } from '../defaults.ts';

/**
 * Bytes counted for a value only known at deployment (a `Ref` or `Fn::GetAtt`): generous for a
 * CloudFormation-generated topic ARN, queue URL or table name, which stay under ~110 bytes.
 */
export const UNRESOLVED_VALUE_ESTIMATE_BYTES = 128;

/**
 * Estimates the size Lambda counts for a function's environment (keys and values, UTF-8), from
 * the resolved CloudFormation value: literals count exactly, `Fn::Join` adds up its parts, and
 * any other intrinsic counts {@link UNRESOLVED_VALUE_ESTIMATE_BYTES}.
 */
export function estimateEnvironmentBytes(variables: Readonly<Record<string, unknown>>): {
  bytes: number;
  unresolved: number;
} {
  let bytes = 0;
  let unresolved = 0;
  const measure = (value: unknown): void => {
    if (typeof value === 'string') {
      bytes += Buffer.byteLength(value, 'utf8');
      return;
    }
    if (typeof value === 'number' || typeof value === 'boolean') {
      bytes += String(value).length;
      return;
    }
    const join = (value as { 'Fn::Join'?: [string, unknown[]] } | null)?.['Fn::Join'];
    if (join !== undefined) {
      const [separator, parts] = join;
      bytes += Buffer.byteLength(separator, 'utf8') * Math.max(parts.length - 1, 0);
      parts.forEach(measure);
      return;
    }
    unresolved += 1;
    bytes += UNRESOLVED_VALUE_ESTIMATE_BYTES;
  };
  for (const [key, value] of Object.entries(variables)) {
    bytes += Buffer.byteLength(key, 'utf8');
    measure(value);
  }
  return { bytes, unresolved };
}

/**
 * Fails synthesis when a function's environment would exceed Lambda's 4 KB limit, rather than
 * failing the deployment (the ingest's routing document grows with the definition).
 *
 * @see https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
 */
export function addEnvironmentSizeValidation(fn: LambdaFunction): void {
  fn.node.addValidation({
    validate: () => {
      const cfn = fn.node.defaultChild as CfnFunction;
      // The L1 property (`{ variables }`), resolved: literals and CloudFormation intrinsics.
      const resolved = Stack.of(fn).resolve(cfn.environment) as
        | { variables?: Record<string, unknown> }
        | undefined;
      const { bytes, unresolved } = estimateEnvironmentBytes(resolved?.variables ?? {});
      if (bytes <= LAMBDA_ENVIRONMENT_MAX_BYTES) {
        return [];
      }
      return [
        `environment of ${fn.node.path} must be at most ${LAMBDA_ENVIRONMENT_MAX_BYTES} bytes, lambda's limit (given about ${bytes} bytes, counting ${unresolved} deploy-time values as ${UNRESOLVED_VALUE_ESTIMATE_BYTES} bytes each)`,
      ];
    },
  });
}
