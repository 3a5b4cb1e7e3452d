/**
 * The local runtime's view of a synthesized pipeline: what the assembly reader and the
 * provisioner produce (with every intrinsic resolved against the emulators), and what the
 * function host, the SQS pollers and the REST API server consume.
 *
 * Everything here comes from `cdk.out`; nothing is read from the stack's constructs.
 */

/** A Lambda function, ready to host. */
export interface LocalFunction {
  /** Logical id in the template. */
  readonly logicalId: string;
  /** Physical name the runtime gives it (the template's FunctionName, or stack-logicalId). */
  readonly functionName: string;
  /** Absolute path of the bundle directory (the asset folder holding `index.js` / `index.mjs`). */
  readonly bundleDir: string;
  /** Handler string from the template, e.g. `index.handler`. */
  readonly handler: string;
  /** Runtime from the template, e.g. `nodejs24.x`. */
  readonly runtime: string;
  /** Resolved environment variables from the template (emulator endpoints are added by the host). */
  readonly environment: Readonly<Record<string, string>>;
  /** Timeout in seconds. Lambda's default is 3. */
  readonly timeoutSeconds: number;
  /** Memory size in MB. Lambda's default is 128. */
  readonly memorySizeMb: number;
  /** Reserved concurrency, when the template sets one. */
  readonly reservedConcurrency?: number;
}

/** An SQS event source mapping, ready to poll. */
export interface LocalEventSourceMapping {
  /** Logical id in the template. */
  readonly logicalId: string;
  /** Logical id of the function it invokes. */
  readonly functionLogicalId: string;
  /** URL of the queue on the emulator. */
  readonly queueUrl: string;
  /** ARN of the queue (as it appears in the SQS event's `eventSourceARN`). */
  readonly queueArn: string;
  /** Records per invocation. Lambda's default for SQS is 10. */
  readonly batchSize: number;
  /** Batching window in seconds (0 when absent). */
  readonly maximumBatchingWindowSeconds: number;
  /** ScalingConfig.MaximumConcurrency, when set. */
  readonly maximumConcurrency?: number;
  /** `true` when FunctionResponseTypes contains `ReportBatchItemFailures`. */
  readonly reportBatchItemFailures: boolean;
  /** `false` when the mapping is disabled. */
  readonly enabled: boolean;
}

/** One method of a REST API resource. */
export interface LocalRoute {
  /** HTTP method, or `ANY`. */
  readonly httpMethod: string;
  /** Full resource path, e.g. `/topics/{topic}/events` or `/{proxy+}`. */
  readonly resourcePath: string;
  /** `AWS_IAM` or `NONE` (others are reported as unsupported). */
  readonly authorizationType: string;
  /** Logical id of the function behind the proxy integration. */
  readonly functionLogicalId: string;
}

/** A REST API (API Gateway v1) with its deployed stage. */
export interface LocalRestApi {
  /** Logical id of the AWS::ApiGateway::RestApi. */
  readonly logicalId: string;
  /** The API id the runtime made up (what `Ref` resolves to). */
  readonly apiId: string;
  /** Stage name, the first path segment of every request. */
  readonly stageName: string;
  /** Routes of the API. */
  readonly routes: readonly LocalRoute[];
  /**
   * The API's customized gateway responses (AWS::ApiGateway::GatewayResponse), by response type
   * (`DEFAULT_4XX`, `MISSING_AUTHENTICATION_TOKEN`, …).
   *
   * @default - none: API Gateway's own `{"message": …}` bodies
   */
  readonly gatewayResponses?: Readonly<Record<string, LocalGatewayResponse>>;
}

/**
 * A customized gateway response: what API Gateway answers instead of its default body when it
 * refuses a request itself.
 *
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-gatewayResponse-definition.html
 */
export interface LocalGatewayResponse {
  /** Response type, e.g. `DEFAULT_4XX`. */
  readonly responseType: string;
  /** Status code replacing API Gateway's, when the template sets one. */
  readonly statusCode?: number;
  /**
   * Response header mappings, by header name (without the `gatewayresponse.header.` prefix):
   * a quoted literal (`'application/problem+json'`) or a `method.request.*` parameter.
   */
  readonly responseHeaders: Readonly<Record<string, string>>;
  /** Body templates by content type (simple `$context` substitution, no VTL). */
  readonly responseTemplates: Readonly<Record<string, string>>;
}

/** A resource the local runtime does not run, listed once at start. */
export interface SkippedResource {
  readonly logicalId: string;
  readonly type: string;
}

/** A provisioned stack. */
export interface LocalStack {
  /** Stack name, the key of the outputs file. */
  readonly stackName: string;
  readonly functions: readonly LocalFunction[];
  readonly eventSourceMappings: readonly LocalEventSourceMapping[];
  readonly restApis: readonly LocalRestApi[];
  /** Resolved stack outputs (API URLs still point at the AWS form; the runtime rewrites them). */
  readonly outputs: Readonly<Record<string, string>>;
  /** Resources not run locally (IAM, KMS, alarms, log groups, …). */
  readonly skipped: readonly SkippedResource[];
}
