import {
  IdempotencyAlreadyInProgressError,
  IdempotencyValidationError,
} from '@aws-lambda-powertools/idempotency';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  classifyError,
  describeError,
  MAX_REASON_LENGTH,
} from '../../../functions/shared/consumer/classify-error.ts';
import {
  DeadLetterSendError,
  InjectedFaultError,
  MalformedMessageError,
  PermanentError,
  SchemaViolationError,
  UnsupportedEventTypeError,
} from '../../../functions/shared/errors.ts';
import * as zm from '../../../functions/shared/zod.ts';

describe('classifyError', () => {
  it.each([
    ['PermanentError', new PermanentError('no')],
    ['MalformedMessageError', new MalformedMessageError('bad body')],
    ['SchemaViolationError', new SchemaViolationError('t', 'bad data')],
    ['UnsupportedEventTypeError', new UnsupportedEventTypeError('t')],
    ['ZodError', z.string().safeParse(1).error],
    ['a zod/mini error', zm.safeParse(zm.string(), 1).error],
    ['a zod/mini error thrown by parse', attempt(() => zm.parse(zm.number(), 'x'))],
    ['IdempotencyValidationError', new IdempotencyValidationError('payload differs')],
  ])('classifies %s as permanent', (_name, error) => {
    expect(classifyError(error)).toBe('permanent');
  });

  it.each([
    ['a plain Error', new Error('socket hang up')],
    ['InjectedFaultError', new InjectedFaultError('transient')],
    ['DeadLetterSendError', new DeadLetterSendError('dlq down')],
    ['IdempotencyAlreadyInProgressError', new IdempotencyAlreadyInProgressError('in progress')],
    ['a thrown string', 'oops'],
  ])('classifies %s as retryable', (_name, error) => {
    expect(classifyError(error)).toBe('retryable');
  });
});

describe('describeError', () => {
  it('names the error and keeps one line', () => {
    expect(describeError(new PermanentError('bad\n  order'))).toBe('PermanentError: bad order');
  });

  it('truncates long reasons', () => {
    // Act
    const reason = describeError(new Error('x'.repeat(5000)));
    // Assess
    expect(reason).toHaveLength(MAX_REASON_LENGTH);
    expect(reason.endsWith('…')).toBe(true);
  });
});

function attempt(run: () => unknown): unknown {
  try {
    return run();
  } catch (error) {
    return error;
  }
}
