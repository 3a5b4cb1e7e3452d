import { resolve } from 'node:path';
import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  DEFAULT_FUNCTION_TIMEOUT,
  DEFAULT_LOG_RETENTION,
  DEFAULT_MEMORY_SIZE_MB,
  DEFAULT_REMOVAL_POLICY,
} from '../defaults.ts';
import { addEnvironmentSizeValidation } from './environment-size.ts';
import { bundledCode } from './esbuild-bundling.ts';

/** The project root: `entry` paths of the definition are relative to it. */
export const PROJECT_ROOT = resolve(import.meta.dirname, '..', '..');

/** Props of {@link BundledFunction}. */
export interface BundledFunctionProps {
  /** Path of the handler file, relative to {@link BundledFunctionProps.projectRoot}. */
  readonly entry: string;
  /** @default DEFAULT_FUNCTION_TIMEOUT */
  readonly timeout?: Duration;
  /** @default DEFAULT_MEMORY_SIZE_MB */
  readonly memorySizeMb?: number;
  /** Environment variables. @default - none */
  readonly environment?: Readonly<Record<string, string>>;
  /** Removal policy of the log group. @default DEFAULT_REMOVAL_POLICY */
  readonly removalPolicy?: RemovalPolicy;
  /** @default DEFAULT_LOG_RETENTION */
  readonly logRetention?: RetentionDays;
  /** Directory that `entry` is relative to. @default PROJECT_ROOT */
  readonly projectRoot?: string;
}

/**
 * A TypeScript handler bundled locally by esbuild (no Docker, see {@link bundledCode}) into a
 * Node.js 24 arm64 function, with its own log group and an execution role that can write only to
 * that log group.
 *
 * Bundles are **ESM** (`index.mjs`): the sources are ESM (`"type": "module"`), ESM lets esbuild
 * tree-shake the AWS SDK and Powertools through their `module` entry points, allows top-level
 * `await` during init, and is what Powertools recommends for Node.js 24. The AWS SDK v3 is not
 * bundled but taken from the runtime, as `NodejsFunction` does by default: on AWS and LocalStack
 * that is the runtime's built-in SDK (its version can differ from the lock file's), in the local
 * runtime the project's `node_modules` (see `RUNTIME_PROVIDED_MODULES`).
 *
 * No `logRetention` (a `Custom::LogRetention` resource) and no AWS-managed policy
 * (`AWSLambdaBasicExecutionRole`): an explicit log group and an inline grant instead.
 */
export class BundledFunction extends Construct {
  /** The function. */
  public readonly function: LambdaFunction;
  /** Its log group. */
  public readonly logGroup: LogGroup;
  /** Its execution role. */
  public readonly role: Role;

  constructor(scope: Construct, id: string, props: BundledFunctionProps) {
    super(scope, id);
    const projectRoot = props.projectRoot ?? PROJECT_ROOT;
    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? DEFAULT_LOG_RETENTION,
      removalPolicy: props.removalPolicy ?? DEFAULT_REMOVAL_POLICY,
    });
    this.role = new Role(this, 'ServiceRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.entry}`,
    });
    this.logGroup.grantWrite(this.role);
    this.function = new LambdaFunction(this, 'Resource', {
      code: bundledCode(projectRoot, props.entry),
      handler: 'index.handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      timeout: props.timeout ?? DEFAULT_FUNCTION_TIMEOUT,
      memorySize: props.memorySizeMb ?? DEFAULT_MEMORY_SIZE_MB,
      role: this.role,
      logGroup: this.logGroup,
      environment: {
        // Stack traces point into the TypeScript sources rather than the minified bundle.
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
    });
    addEnvironmentSizeValidation(this.function);
  }
}
