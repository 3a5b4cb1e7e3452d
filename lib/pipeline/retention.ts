import { type Duration, Token } from 'aws-cdk-lib';
import { DEFAULT_STATUS_TTL } from '../defaults.ts';

/** How long status and idempotency records are kept, as a construct gets them. */
export interface RetentionProps {
  /** @default - `statusTtl` */
  readonly idempotencyTtl?: Duration;
  /** @default DEFAULT_STATUS_TTL */
  readonly statusTtl?: Duration;
}

/** {@link RetentionProps} with the defaults applied. */
export interface Retention {
  readonly idempotencyTtl: Duration;
  readonly statusTtl: Duration;
}

/**
 * Applies the retention defaults and checks them: idempotency records must be kept at least as
 * long as status records, because a consumer's completed idempotency record is the status of a
 * delivery that succeeded at its first attempt (`GET /events/{id}` would otherwise report it
 * `in_progress` once the record expired). So the idempotency TTL defaults to the status TTL.
 *
 * @throws Error when `idempotencyTtl` is shorter than `statusTtl` (unresolved tokens pass)
 */
export function resolveRetention(props: RetentionProps): Retention {
  const statusTtl = props.statusTtl ?? DEFAULT_STATUS_TTL;
  const idempotencyTtl = props.idempotencyTtl ?? statusTtl;
  if (!Token.isUnresolved(idempotencyTtl) && !Token.isUnresolved(statusTtl)) {
    const idempotencySeconds = idempotencyTtl.toSeconds();
    const statusSeconds = statusTtl.toSeconds();
    if (idempotencySeconds < statusSeconds) {
      throw new Error(
        `idempotencyTtl must be at least statusTtl (${statusSeconds} seconds), because a consumer's completed idempotency record is the status of a delivery that succeeded at its first attempt, but ${idempotencySeconds} seconds was provided`
      );
    }
  }
  return { idempotencyTtl, statusTtl };
}
