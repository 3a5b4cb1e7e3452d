import { type Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  AuthorizationType,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  type Resource,
  ResponseType,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  ENV,
  type IngestQueueRoute,
  type IngestRoutes,
  type IngestStreamRoute,
} from '../../functions/shared/contract.ts';
import {
  PROBLEM_CONTENT_TYPE,
  PROBLEM_TYPE_PREFIX,
} from '../../functions/shared/http/problem-details.ts';
import {
  DEFAULT_API_THROTTLING_BURST_LIMIT,
  DEFAULT_API_THROTTLING_RATE_LIMIT,
  DEFAULT_LOG_RETENTION,
  DEFAULT_MAX_REQUEST_BYTES,
  DEFAULT_REMOVAL_POLICY,
  DEFAULT_STAGE_NAME,
} from '../defaults.ts';
import type { SubscriberDefinition } from '../definition/types.ts';
import { BundledFunction } from './bundled-function.ts';
import type { EncryptedStream } from './encrypted-stream.ts';
import { TABLE_ITEM_ACTIONS } from './queue-consumer.ts';
import { resolveRetention } from './retention.ts';
import type { SecureQueue } from './secure-queue.ts';

/** Entry of the ingest handler, relative to the project root. */
export const INGEST_ENTRY = 'functions/ingest/handler.ts';

/** A stream the ingest API publishes to. */
export interface IngestStreamTarget {
  /** Stream name, the `{topic}` of `POST /topics/{topic}/events`. */
  readonly name: string;
  /** The stream's topic and key. */
  readonly stream: EncryptedStream;
  /** Its subscribers, from the definition (for the status document's expected deliveries). */
  readonly subscribers: readonly SubscriberDefinition[];
}

/** A point-to-point queue the ingest API sends to. */
export interface IngestQueueTarget {
  /** Queue name, the `{queue}` of `POST /queues/{queue}/messages`. */
  readonly name: string;
  /** The queue and its key. */
  readonly queue: SecureQueue;
}

/** Props of {@link IngestApi}. */
export interface IngestApiProps {
  /** Streams it publishes to. */
  readonly streams: readonly IngestStreamTarget[];
  /** Point-to-point queues it sends to. */
  readonly queues: readonly IngestQueueTarget[];
  /** The pipeline table (delivery status, `Idempotency-Key` records). */
  readonly table: ITable;
  /** @default DEFAULT_STAGE_NAME */
  readonly stageName?: string;
  /** @default DEFAULT_API_THROTTLING_RATE_LIMIT */
  readonly throttlingRateLimit?: number;
  /** @default DEFAULT_API_THROTTLING_BURST_LIMIT */
  readonly throttlingBurstLimit?: number;
  /** @default DEFAULT_MAX_REQUEST_BYTES */
  readonly maxRequestBytes?: number;
  /** At least `statusTtl` (see `resolveRetention`). @default - `statusTtl` */
  readonly idempotencyTtl?: Duration;
  /** @default DEFAULT_STATUS_TTL */
  readonly statusTtl?: Duration;
  /** Removal policy of the log groups. @default DEFAULT_REMOVAL_POLICY */
  readonly removalPolicy?: RemovalPolicy;
  /** Directory the handler entry is relative to. @default PROJECT_ROOT */
  readonly projectRoot?: string;
}

/**
 * The HTTP ingest: an API Gateway REST API (v1; LocalStack's free plan serves only REST APIs)
 * with IAM (SigV4) authorization on every method, access logging, stage throttling and a Lambda
 * proxy integration to one ingest function:
 *
 * - `POST /topics/{topic}/events` publishes CloudEvents to a stream,
 * - `POST /queues/{queue}/messages` sends them to a point-to-point queue,
 * - `GET /events/{id}` reports their delivery status.
 *
 * The function learns the wiring from one JSON routing document ({@link ENV.ROUTES}). The
 * responses API Gateway makes itself (403 unsigned, 413, 429, 5xx, …) are
 * `application/problem+json` too ({@link PROBLEM_GATEWAY_RESPONSES}).
 */
export class IngestApi extends Construct {
  /** The REST API. */
  public readonly api: RestApi;
  /** The ingest function. */
  public readonly handler: BundledFunction;
  /** The access log of the stage. */
  public readonly accessLogGroup: LogGroup;

  constructor(scope: Construct, id: string, props: IngestApiProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? DEFAULT_REMOVAL_POLICY;
    const routes: IngestRoutes = {
      streams: Object.fromEntries(
        props.streams.map(({ name, stream, subscribers }) => [
          name,
          streamRoute(stream, subscribers),
        ])
      ),
      queues: Object.fromEntries(
        props.queues.map(({ name, queue }) => [name, queueRoute(name, queue)])
      ),
    };

    const retention = resolveRetention(props);
    this.handler = new BundledFunction(this, 'Function', {
      entry: INGEST_ENTRY,
      removalPolicy,
      projectRoot: props.projectRoot,
      environment: {
        // toJsonString, not JSON.stringify: topic ARNs and queue URLs are deploy-time tokens.
        [ENV.ROUTES]: Stack.of(this).toJsonString(routes),
        [ENV.TABLE_NAME]: props.table.tableName,
        [ENV.MAX_REQUEST_BYTES]: String(props.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES),
        [ENV.IDEMPOTENCY_TTL_SECONDS]: String(retention.idempotencyTtl.toSeconds()),
        [ENV.STATUS_TTL_SECONDS]: String(retention.statusTtl.toSeconds()),
      },
    });
    const fn = this.handler.function;
    // sns:Publish also covers PublishBatch, sqs:SendMessage covers SendMessageBatch; both grants
    // add the KMS actions needed to write to encrypted topics and queues.
    for (const { stream } of props.streams) {
      stream.grantPublish(fn);
    }
    for (const { queue } of props.queues) {
      queue.grantSendMessages(fn);
    }
    props.table.grant(fn, ...TABLE_ITEM_ACTIONS);

    this.accessLogGroup = new LogGroup(this, 'AccessLogs', {
      retention: DEFAULT_LOG_RETENTION,
      removalPolicy,
    });
    this.api = new RestApi(this, 'Resource', {
      description: 'Ingest API of the event pipeline (CloudEvents over HTTP)',
      endpointTypes: [EndpointType.REGIONAL],
      // The account-level logging role is ApiGatewayAccountLogging, without a managed policy.
      cloudWatchRole: false,
      defaultMethodOptions: { authorizationType: AuthorizationType.IAM },
      deployOptions: {
        stageName: props.stageName ?? DEFAULT_STAGE_NAME,
        accessLogDestination: new LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: MethodLoggingLevel.ERROR,
        metricsEnabled: true,
        throttlingRateLimit: props.throttlingRateLimit ?? DEFAULT_API_THROTTLING_RATE_LIMIT,
        throttlingBurstLimit: props.throttlingBurstLimit ?? DEFAULT_API_THROTTLING_BURST_LIMIT,
      },
    });
    const validator = this.api.addRequestValidator('ParameterValidator', {
      validateRequestParameters: true,
      validateRequestBody: false,
    });
    // One integration, one Lambda permission per method; no extra permission for the console's
    // test-invoke, which the pipeline does not use.
    const integration = new LambdaIntegration(fn, { proxy: true, allowTestInvoke: false });
    const addMethod = (resource: Resource, method: string, parameter: string): void => {
      resource.addMethod(method, integration, {
        authorizationType: AuthorizationType.IAM,
        requestValidator: validator,
        requestParameters: { [`method.request.path.${parameter}`]: true },
      });
    };
    addMethod(this.api.root.resourceForPath('topics/{topic}/events'), 'POST', 'topic');
    addMethod(this.api.root.resourceForPath('queues/{queue}/messages'), 'POST', 'queue');
    addMethod(this.api.root.resourceForPath('events/{id}'), 'GET', 'id');
    for (const response of PROBLEM_GATEWAY_RESPONSES) {
      this.api.addGatewayResponse(response.id, {
        type: response.type,
        // Header values of a gateway response are mapping expressions: a literal is quoted.
        responseHeaders: { 'Content-Type': `'${PROBLEM_CONTENT_TYPE}'` },
        // Selected by the request's Accept header, application/json when it has none; the
        // Content-Type above is sent whichever template is used.
        templates: { 'application/json': problemTemplate(response) },
      });
    }

    Validations.of(this.api).acknowledge(
      {
        id: 'AwsSolutions-COG4',
        reason:
          'clients are services that sign requests with IAM credentials (SigV4, AWS_IAM authorization on every method); there are no end users, so no Cognito user pool',
      },
      {
        id: 'AwsSolutions-APIG2',
        reason:
          'API Gateway validates the path parameters (ParameterValidator); bodies are CloudEvents in three content modes (structured, binary, batch) checked against per-type zod schemas by the ingest function, which one API Gateway JSON-schema model cannot express',
      },
      {
        id: 'AwsSolutions-APIG3',
        reason:
          'every method requires SigV4-signed IAM credentials and the stage is throttled; a WAF web ACL is an account-specific addition left to the deployer',
      }
    );
  }
}

/** A gateway response rendered as an RFC 9457 problem. */
export interface ProblemGatewayResponse {
  /** Construct id of the gateway response (part of its logical id). */
  readonly id: string;
  /** The API Gateway response type it customizes. */
  readonly type: ResponseType;
  /** Last segment of the problem `type` URI. */
  readonly slug: string;
  /** The problem's `title`. */
  readonly title: string;
  /**
   * The status API Gateway answers with for this type, repeated as the problem's `status`;
   * absent for the `DEFAULT_*` fallbacks, which cover several statuses that no mapping variable
   * names (RFC 9457 makes `status` optional).
   */
  readonly status?: number;
}

/**
 * The responses API Gateway makes itself (before or instead of the ingest function), as
 * `application/problem+json`, so that every client error of the API has the ingest's format.
 * Status codes stay API Gateway's (no `statusCode` override); the `DEFAULT_*` fallbacks cover
 * every other 4xx and 5xx type.
 *
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
 */
export const PROBLEM_GATEWAY_RESPONSES: readonly ProblemGatewayResponse[] = [
  {
    id: 'Default4xx',
    type: ResponseType.DEFAULT_4XX,
    slug: 'gateway-rejected',
    title: 'Request rejected by the API gateway',
  },
  {
    id: 'Default5xx',
    type: ResponseType.DEFAULT_5XX,
    slug: 'gateway-error',
    title: 'API gateway error',
  },
  {
    id: 'MissingAuthenticationToken',
    type: ResponseType.MISSING_AUTHENTICATION_TOKEN,
    slug: 'missing-authentication-token',
    title: 'Missing authentication token',
    status: 403,
  },
  {
    id: 'InvalidSignature',
    type: ResponseType.INVALID_SIGNATURE,
    slug: 'invalid-signature',
    title: 'Invalid signature',
    status: 403,
  },
  {
    id: 'ExpiredToken',
    type: ResponseType.EXPIRED_TOKEN,
    slug: 'expired-token',
    title: 'Expired token',
    status: 403,
  },
  {
    id: 'AccessDenied',
    type: ResponseType.ACCESS_DENIED,
    slug: 'access-denied',
    title: 'Access denied',
    status: 403,
  },
  {
    id: 'BadRequestParameters',
    type: ResponseType.BAD_REQUEST_PARAMETERS,
    slug: 'bad-request-parameters',
    title: 'Bad request parameters',
    status: 400,
  },
  {
    id: 'RequestTooLarge',
    type: ResponseType.REQUEST_TOO_LARGE,
    slug: 'request-too-large',
    title: 'Request too large',
    status: 413,
  },
  {
    id: 'Throttled',
    type: ResponseType.THROTTLED,
    slug: 'throttled',
    title: 'Too many requests',
    status: 429,
  },
  {
    id: 'IntegrationTimeout',
    type: ResponseType.INTEGRATION_TIMEOUT,
    slug: 'integration-timeout',
    title: 'Integration timeout',
    status: 504,
  },
];

/**
 * The body mapping template of a gateway response: an RFC 9457 problem whose `detail` is API
 * Gateway's own message. Gateway response templates are not VTL, only simple `$context`
 * substitution; `$context.error.messageString` is the message as a quoted JSON string.
 *
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html
 */
export function problemTemplate(response: ProblemGatewayResponse): string {
  const detail = '@detail@';
  const problem = {
    type: `${PROBLEM_TYPE_PREFIX}${response.slug}`,
    title: response.title,
    ...(response.status === undefined ? {} : { status: response.status }),
    detail,
    responseType: '$context.error.responseType',
    requestId: '$context.requestId',
  };
  return JSON.stringify(problem).replace(`"${detail}"`, '$context.error.messageString');
}

function streamRoute(
  stream: EncryptedStream,
  subscribers: readonly SubscriberDefinition[]
): IngestStreamRoute {
  return {
    topicArn: stream.topic.topicArn,
    fifo: stream.fifo,
    subscribers: subscribers.map((subscriber) => ({
      name: subscriber.name,
      ...(subscriber.filterPolicy === undefined
        ? {}
        : {
            filterPolicy: subscriber.filterPolicy as Record<string, unknown>,
            filterPolicyScope: subscriber.filterPolicyScope ?? 'MessageAttributes',
          }),
    })),
  };
}

function queueRoute(name: string, queue: SecureQueue): IngestQueueRoute {
  return { queueUrl: queue.queue.queueUrl, fifo: queue.fifo, worker: name };
}
