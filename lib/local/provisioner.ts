/**
 * Creates a stack's resources on the emulators, in dependency order, the way CloudFormation
 * would: tables on DynamoDB; queues, topics and subscriptions on fauxqs. Functions, event
 * source mappings and REST APIs are recorded into the {@link LocalStack} model the function
 * host, the SQS pollers and the REST API server run.
 *
 * Every resource gets the physical id and attributes its `Ref` and `Fn::GetAtt` return on AWS
 * (a queue's `Ref` is its URL, a topic's its ARN, a table's its name, …). Resource types the
 * runtime does not run are listed in `skipped`, never silently ignored.
 *
 * Provisioning is idempotent: running it again on the same emulators (a re-synthesized
 * template, or persisted state) keeps what exists and updates attributes that changed.
 */
import { createHash } from 'node:crypto';
import {
  type AttributeDefinition,
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  type LocalSecondaryIndex,
  ResourceInUseException,
  type TableDescription,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateTopicCommand,
  ListSubscriptionsByTopicCommand,
  SetSubscriptionAttributesCommand,
  type SNSClient,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { type AssemblyStack, functionBundle, type TemplateResource } from './assembly.ts';
import { dependencyOrder } from './dependency-graph.ts';
import {
  IntrinsicError,
  IntrinsicResolver,
  type PseudoParameters,
  stableUuid,
  UnresolvableReferenceError,
} from './intrinsics.ts';
import type {
  LocalEventSourceMapping,
  LocalFunction,
  LocalGatewayResponse,
  LocalRestApi,
  LocalRoute,
  LocalStack,
  SkippedResource,
} from './model.ts';
import { resolveOutputs } from './outputs.ts';

/** Region the local runtime reports and signs with. */
export const LOCAL_REGION = 'us-east-1';
/** Account id of every local ARN (the one fauxqs uses). */
export const LOCAL_ACCOUNT_ID = '000000000000';

/** Lambda's defaults for properties a template may omit. */
const LAMBDA_DEFAULTS = { timeoutSeconds: 3, memorySizeMb: 128, sqsBatchSize: 10 } as const;

/** AWS's name length limits, for generated physical names. */
const NAME_LIMITS = { queue: 80, topic: 256, table: 255, function: 64 } as const;

/**
 * Resource types the runtime knows and deliberately does not run: access control, encryption,
 * logging, monitoring and deployment plumbing that has no local effect.
 */
const NOT_RUN_TYPES = [
  'AWS::CDK::Metadata',
  'AWS::IAM::',
  'AWS::KMS::',
  'AWS::Logs::',
  'AWS::CloudWatch::',
  'AWS::SQS::QueuePolicy',
  'AWS::SQS::QueueInlinePolicy',
  'AWS::SNS::TopicPolicy',
  'AWS::SNS::TopicInlinePolicy',
  'AWS::Lambda::Permission',
  'AWS::Lambda::Version',
  'AWS::Lambda::Alias',
  'AWS::Lambda::EventInvokeConfig',
  'AWS::Lambda::Url',
  'AWS::ApiGateway::Account',
  'AWS::ApiGateway::ApiKey',
  'AWS::ApiGateway::UsagePlan',
  'AWS::ApiGateway::UsagePlanKey',
  'AWS::ApiGateway::Model',
  'AWS::ApiGateway::RequestValidator',
  'AWS::ApiGateway::DocumentationPart',
  'AWS::ApiGateway::DocumentationVersion',
  'AWS::ApplicationAutoScaling::',
] as const;

/** SQS attributes a template may set, copied to CreateQueue as strings. */
const QUEUE_ATTRIBUTES = [
  'DelaySeconds',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'ReceiveMessageWaitTimeSeconds',
  'VisibilityTimeout',
  'RedrivePolicy',
  'RedriveAllowPolicy',
  'FifoQueue',
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'FifoThroughputLimit',
] as const;

/** SDK clients pointed at the emulators. */
export interface ProvisionerClients {
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  readonly dynamodb: DynamoDBClient;
}

/** Options of {@link provisionStack}. */
export interface ProvisionOptions {
  /** @default LOCAL_REGION */
  readonly region?: string;
  /** @default LOCAL_ACCOUNT_ID */
  readonly accountId?: string;
  /** Values for template parameters, overriding their defaults. @default - the defaults */
  readonly parameterValues?: Readonly<Record<string, string>>;
}

/** A resource created (or recorded) locally, for the summary. */
export interface ProvisionedResource {
  readonly logicalId: string;
  readonly type: string;
  /** What `Ref` returns: a queue URL, a topic ARN, a table name, a function name, … */
  readonly physicalId: string;
}

/** What {@link provisionStack} made. */
export interface ProvisionResult {
  /** The model the function host, pollers and REST API server run. */
  readonly stack: LocalStack;
  /** Resources created on the emulators or recorded for hosting, in creation order. */
  readonly resources: readonly ProvisionedResource[];
  /** Things the emulators do not do that the template asked for (KMS, TTL, …), once each. */
  readonly notes: readonly string[];
  /** Things that may make the local pipeline behave differently: unknown types, unsupported settings. */
  readonly warnings: readonly string[];
}

/** A resource could not be created on the emulators. */
export class ProvisionError extends Error {
  public readonly logicalId: string;

  public constructor(logicalId: string, type: string, reason: string, options?: ErrorOptions) {
    super(`cannot provision ${logicalId} (${type}): ${reason}`, options);
    this.name = 'ProvisionError';
    this.logicalId = logicalId;
  }
}

interface PhysicalRecord {
  readonly type: string;
  readonly ref: unknown;
  readonly attributes: Readonly<Record<string, unknown>>;
}

interface ApiResourceRecord {
  readonly apiId: string;
  readonly parentId?: string;
  readonly pathPart?: string;
}

interface ApiMethodRecord {
  readonly logicalId: string;
  readonly apiId: string;
  readonly resourceId: string;
  readonly httpMethod: string;
  readonly authorizationType: string;
  readonly integrationType?: string;
  readonly integrationUri?: string;
}

/**
 * Provisions `stack` on the emulators behind `clients` and returns the runtime model.
 *
 * @throws IntrinsicError when a property the runtime needs cannot be resolved
 * @throws ProvisionError when an emulator rejects a resource
 */
export async function provisionStack(
  stack: AssemblyStack,
  clients: ProvisionerClients,
  options: ProvisionOptions = {}
): Promise<ProvisionResult> {
  return new StackProvisioner(stack, clients, options).run();
}

class StackProvisioner {
  private readonly stackName: string;
  private readonly resources: Record<string, TemplateResource>;
  private readonly pseudo: Required<PseudoParameters>;
  private readonly resolver: IntrinsicResolver;
  private readonly physical = new Map<string, PhysicalRecord>();
  private readonly notes = new Set<string>();
  private readonly warnings: string[] = [];
  private readonly skipped: SkippedResource[] = [];
  private readonly provisioned: ProvisionedResource[] = [];
  private readonly inactive = new Map<string, string>();
  private readonly functions: LocalFunction[] = [];
  private readonly mappingResources: [string, Record<string, unknown>][] = [];
  private readonly apiResources = new Map<string, ApiResourceRecord>();
  private readonly apiMethods: ApiMethodRecord[] = [];
  private readonly apiStages: { apiId: string; stageName: string }[] = [];
  private readonly gatewayResponses: { apiId: string; response: LocalGatewayResponse }[] = [];
  private readonly apis: { logicalId: string; apiId: string; rootResourceId: string }[] = [];

  public constructor(
    private readonly stack: AssemblyStack,
    private readonly clients: ProvisionerClients,
    options: ProvisionOptions
  ) {
    this.stackName = stack.stackName;
    this.resources = stack.template.Resources ?? {};
    const region = options.region ?? LOCAL_REGION;
    const accountId = options.accountId ?? LOCAL_ACCOUNT_ID;
    this.pseudo = {
      region,
      accountId,
      partition: 'aws',
      urlSuffix: 'amazonaws.com',
      stackName: this.stackName,
      stackId: `arn:aws:cloudformation:${region}:${accountId}:stack/${this.stackName}/${stableUuid(this.stackName)}`,
    };
    this.resolver = new IntrinsicResolver({
      pseudo: this.pseudo,
      parameters: stack.template.Parameters,
      parameterValues: options.parameterValues,
      conditions: stack.template.Conditions,
      mappings: stack.template.Mappings,
      resources: {
        has: (id) => Object.hasOwn(this.resources, id),
        ref: (id) => this.record(id).ref,
        getAtt: (id, attribute) => {
          const record = this.record(id);
          const value = record.attributes[attribute];
          if (value === undefined) {
            throw new UnresolvableReferenceError(
              `Fn::GetAtt ${id}.${attribute}: the local runtime does not provide attribute ${attribute} of ${record.type}`
            );
          }
          return value;
        },
      },
    });
  }

  public async run(): Promise<ProvisionResult> {
    for (const logicalId of dependencyOrder(this.resources)) {
      const resource = this.resources[logicalId];
      if (!resource) continue;
      if (
        resource.Condition &&
        !this.resolver.condition(resource.Condition, { logicalId, path: 'Condition' })
      ) {
        this.inactive.set(logicalId, resource.Condition);
        this.notes.add(
          `${logicalId} (${resource.Type}) is not created: its condition ${resource.Condition} is false`
        );
        continue;
      }
      await this.provision(logicalId, resource);
    }
    const eventSourceMappings = this.mappingResources.flatMap(([id, props]) =>
      this.mapping(id, props)
    );
    const restApis = this.restApis();
    const outputs = resolveOutputs(this.stack.template, this.resolver);
    return {
      stack: {
        stackName: this.stackName,
        functions: this.functions,
        eventSourceMappings,
        restApis,
        outputs,
        skipped: this.skipped,
      },
      resources: this.provisioned,
      notes: [...this.notes],
      warnings: this.warnings,
    };
  }

  private record(logicalId: string): PhysicalRecord {
    const record = this.physical.get(logicalId);
    if (record) return record;
    const condition = this.inactive.get(logicalId);
    if (condition) {
      throw new UnresolvableReferenceError(
        `${logicalId} is not created because its condition ${condition} is false`
      );
    }
    throw new UnresolvableReferenceError(`${logicalId} has not been provisioned`);
  }

  private async provision(logicalId: string, resource: TemplateResource): Promise<void> {
    switch (resource.Type) {
      case 'AWS::SQS::Queue':
        return this.queue(logicalId, resource);
      case 'AWS::SNS::Topic':
        return this.topic(logicalId, resource);
      case 'AWS::SNS::Subscription':
        return this.subscription(logicalId, resource);
      case 'AWS::DynamoDB::Table':
      case 'AWS::DynamoDB::GlobalTable':
        return this.table(logicalId, resource);
      case 'AWS::Lambda::Function':
        return this.function(logicalId, resource);
      case 'AWS::Lambda::EventSourceMapping':
        return this.eventSourceMapping(logicalId, resource);
      case 'AWS::ApiGateway::RestApi':
        return this.restApi(logicalId, resource);
      case 'AWS::ApiGateway::Resource':
        return this.apiResource(logicalId, resource);
      case 'AWS::ApiGateway::Method':
        return this.apiMethod(logicalId, resource);
      case 'AWS::ApiGateway::Deployment':
        return this.apiDeployment(logicalId, resource);
      case 'AWS::ApiGateway::Stage':
        return this.apiStage(logicalId, resource);
      case 'AWS::ApiGateway::GatewayResponse':
        return this.gatewayResponse(logicalId, resource);
      default:
        return this.skip(logicalId, resource);
    }
  }

  // ---- helpers -------------------------------------------------------------------------------

  private properties(logicalId: string, resource: TemplateResource): Record<string, unknown> {
    const resolved = this.resolver.resolve(resource.Properties ?? {}, {
      logicalId,
      path: 'Properties',
    });
    return (resolved ?? {}) as Record<string, unknown>;
  }

  private set(
    logicalId: string,
    type: string,
    ref: string,
    attributes: Record<string, unknown> = {}
  ): void {
    this.physical.set(logicalId, { type, ref, attributes });
  }

  private created(logicalId: string, type: string, physicalId: string): void {
    this.provisioned.push({ logicalId, type, physicalId });
  }

  private arn(service: string, resource: string, region = this.pseudo.region): string {
    return `arn:${this.pseudo.partition}:${service}:${region}:${this.pseudo.accountId}:${resource}`;
  }

  /** `<stackName>-<logicalId>`, trimmed to `limit` with a hash when too long, suffix kept. */
  private physicalName(logicalId: string, limit: number, suffix = ''): string {
    const full = `${this.stackName}-${logicalId}`;
    if (full.length + suffix.length <= limit) return `${full}${suffix}`;
    const hash = shortHash(full, 8);
    return `${full.slice(0, limit - suffix.length - hash.length - 1)}-${hash}${suffix}`;
  }

  private fail(logicalId: string, type: string, error: unknown): never {
    throw new ProvisionError(logicalId, type, (error as Error).message, { cause: error });
  }

  // ---- SQS -----------------------------------------------------------------------------------

  private async queue(logicalId: string, resource: TemplateResource): Promise<void> {
    const props = this.properties(logicalId, resource);
    const fifo = isTrue(props.FifoQueue);
    const name =
      stringProp(props.QueueName) ??
      this.physicalName(logicalId, NAME_LIMITS.queue, fifo ? '.fifo' : '');
    const attributes: Record<string, string> = {};
    for (const key of QUEUE_ATTRIBUTES) {
      const value = props[key];
      if (value === undefined) continue;
      attributes[key] = typeof value === 'object' ? JSON.stringify(value) : String(value);
    }
    if (props.KmsMasterKeyId !== undefined || props.SqsManagedSseEnabled !== undefined) {
      this.notes.add(
        'SQS and SNS server-side encryption (KMS, SSE) is not emulated: messages are stored in plain text locally'
      );
    }
    const tags = tagMap(props.Tags);
    let url: string;
    try {
      url = await this.createQueue(name, attributes, tags);
      const { Attributes } = await this.clients.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] })
      );
      const arn = Attributes?.QueueArn ?? this.arn('sqs', name);
      this.set(logicalId, resource.Type, url, { Arn: arn, QueueName: name, QueueUrl: url });
    } catch (error) {
      this.fail(logicalId, resource.Type, error);
    }
    this.created(logicalId, resource.Type, url);
  }

  private async createQueue(
    name: string,
    attributes: Record<string, string>,
    tags: Record<string, string> | undefined
  ): Promise<string> {
    try {
      const { QueueUrl } = await this.clients.sqs.send(
        new CreateQueueCommand({ QueueName: name, Attributes: attributes, tags })
      );
      if (!QueueUrl) throw new Error('CreateQueue returned no QueueUrl');
      return QueueUrl;
    } catch (error) {
      if (!isQueueNameExists(error)) throw error;
      // The queue exists from an earlier run with other attributes: update them in place
      // (whether a queue is FIFO cannot change; its name says so anyway).
      const { QueueUrl } = await this.clients.sqs.send(new GetQueueUrlCommand({ QueueName: name }));
      if (!QueueUrl) throw error;
      const { FifoQueue: _fifo, ...settable } = attributes;
      await this.clients.sqs.send(
        new SetQueueAttributesCommand({ QueueUrl, Attributes: settable })
      );
      return QueueUrl;
    }
  }

  // ---- SNS -----------------------------------------------------------------------------------

  private async topic(logicalId: string, resource: TemplateResource): Promise<void> {
    const props = this.properties(logicalId, resource);
    const fifo = isTrue(props.FifoTopic);
    const name =
      stringProp(props.TopicName) ??
      this.physicalName(logicalId, NAME_LIMITS.topic, fifo ? '.fifo' : '');
    const attributes: Record<string, string> = {};
    if (fifo) attributes.FifoTopic = 'true';
    if (props.ContentBasedDeduplication !== undefined) {
      attributes.ContentBasedDeduplication = String(props.ContentBasedDeduplication);
    }
    if (typeof props.DisplayName === 'string') attributes.DisplayName = props.DisplayName;
    if (props.KmsMasterKeyId !== undefined) {
      this.notes.add(
        'SQS and SNS server-side encryption (KMS, SSE) is not emulated: messages are stored in plain text locally'
      );
    }
    let arn: string;
    try {
      const tags = Object.entries(tagMap(props.Tags) ?? {}).map(([Key, Value]) => ({ Key, Value }));
      const { TopicArn } = await this.clients.sns.send(
        new CreateTopicCommand({
          Name: name,
          Attributes: attributes,
          Tags: tags.length > 0 ? tags : undefined,
        })
      );
      if (!TopicArn) throw new Error('CreateTopic returned no TopicArn');
      arn = TopicArn;
      for (const [index, inline] of arrayProp(props.Subscription).entries()) {
        const { Protocol, Endpoint } = inline as { Protocol?: string; Endpoint?: string };
        await this.subscribe(
          `${logicalId}.Subscription[${index}]`,
          arn,
          String(Protocol),
          String(Endpoint),
          {}
        );
      }
    } catch (error) {
      this.fail(logicalId, resource.Type, error);
    }
    this.set(logicalId, resource.Type, arn, { TopicArn: arn, TopicName: name });
    this.created(logicalId, resource.Type, arn);
  }

  private async subscription(logicalId: string, resource: TemplateResource): Promise<void> {
    const props = this.properties(logicalId, resource);
    const protocol = String(props.Protocol);
    const endpoint = String(props.Endpoint);
    const topicArn = String(props.TopicArn);
    const attributes: Record<string, string> = {};
    if (props.RawMessageDelivery !== undefined)
      attributes.RawMessageDelivery = String(props.RawMessageDelivery);
    if (props.FilterPolicy !== undefined) {
      attributes.FilterPolicy =
        typeof props.FilterPolicy === 'string'
          ? props.FilterPolicy
          : JSON.stringify(props.FilterPolicy);
    }
    if (typeof props.FilterPolicyScope === 'string')
      attributes.FilterPolicyScope = props.FilterPolicyScope;
    if (props.RedrivePolicy !== undefined) {
      this.notes.add(
        'SNS subscription dead-letter queues (RedrivePolicy) are not enforced by fauxqs'
      );
    }
    let arn: string;
    try {
      arn = await this.subscribe(logicalId, topicArn, protocol, endpoint, attributes);
    } catch (error) {
      this.fail(logicalId, resource.Type, error);
    }
    this.set(logicalId, resource.Type, arn, { Arn: arn });
    this.created(logicalId, resource.Type, arn);
  }

  private async subscribe(
    logicalId: string,
    topicArn: string,
    protocol: string,
    endpoint: string,
    attributes: Record<string, string>
  ): Promise<string> {
    if (protocol !== 'sqs') {
      this.warnings.push(
        `${logicalId}: SNS subscriptions with protocol "${protocol}" are not delivered locally (only "sqs" is)`
      );
      return `${topicArn}:${stableUuid(`${logicalId}:${endpoint}`)}`;
    }
    const input = {
      TopicArn: topicArn,
      Protocol: protocol,
      Endpoint: endpoint,
      Attributes: Object.keys(attributes).length > 0 ? attributes : undefined,
      ReturnSubscriptionArn: true,
    };
    try {
      const { SubscriptionArn } = await this.clients.sns.send(new SubscribeCommand(input));
      if (!SubscriptionArn) throw new Error('Subscribe returned no SubscriptionArn');
      return SubscriptionArn;
    } catch (error) {
      // Subscribing again with other attributes (an earlier run, a changed filter policy)
      // is refused; update the existing subscription instead, as CloudFormation would.
      if (!/already exists with different attributes/i.test((error as Error).message)) throw error;
      const { Subscriptions } = await this.clients.sns.send(
        new ListSubscriptionsByTopicCommand({ TopicArn: topicArn })
      );
      const existing = Subscriptions?.find(
        (s) => s.Protocol === protocol && s.Endpoint === endpoint
      );
      if (!existing?.SubscriptionArn) throw error;
      for (const [AttributeName, AttributeValue] of Object.entries(attributes)) {
        await this.clients.sns.send(
          new SetSubscriptionAttributesCommand({
            SubscriptionArn: existing.SubscriptionArn,
            AttributeName,
            AttributeValue,
          })
        );
      }
      return existing.SubscriptionArn;
    }
  }

  // ---- DynamoDB ------------------------------------------------------------------------------

  private async table(logicalId: string, resource: TemplateResource): Promise<void> {
    const props = this.properties(logicalId, resource);
    const name = stringProp(props.TableName) ?? this.physicalName(logicalId, NAME_LIMITS.table);
    const input = this.createTableInput(logicalId, name, props);
    let description: TableDescription | undefined;
    try {
      description = (await this.clients.dynamodb.send(new CreateTableCommand(input)))
        .TableDescription;
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) this.fail(logicalId, resource.Type, error);
      // Kept from persisted state: a table's keys cannot change in place, as on AWS.
      description = (
        await this.clients.dynamodb.send(new DescribeTableCommand({ TableName: name }))
      ).Table;
    }
    await this.timeToLive(logicalId, name, props.TimeToLiveSpecification);
    for (const ignored of [
      'PointInTimeRecoverySpecification',
      'SSESpecification',
      'ContributorInsightsSpecification',
      'Replicas',
    ]) {
      if (props[ignored] !== undefined) {
        this.notes.add(`DynamoDB ${ignored} has no local effect`);
      }
    }
    const arn = description?.TableArn ?? this.arn('dynamodb', `table/${name}`);
    let streamArn = description?.LatestStreamArn;
    if (!streamArn && input.StreamSpecification) {
      // dynalite accepts a stream specification but has no streams; the ARN still resolves
      // so that templates referring to it provision (stream event sources do not run locally).
      streamArn = `${arn}/stream/1970-01-01T00:00:00.000`;
      this.notes.add(
        'DynamoDB Streams are not supported by this DynamoDB emulator: stream ARNs are made up and nothing is streamed'
      );
    }
    this.set(logicalId, resource.Type, name, {
      Arn: arn,
      ...(streamArn ? { StreamArn: streamArn } : {}),
      ...(description?.TableId ? { TableId: description.TableId } : {}),
    });
    this.created(logicalId, resource.Type, name);
  }

  private createTableInput(
    logicalId: string,
    name: string,
    props: Record<string, unknown>
  ): CreateTableCommandInput {
    const onDemand =
      props.BillingMode === 'PAY_PER_REQUEST' ||
      (props.BillingMode === undefined &&
        props.ProvisionedThroughput === undefined &&
        props.Replicas !== undefined);
    const throughput = (value: unknown) =>
      onDemand
        ? undefined
        : ((value as CreateTableCommandInput['ProvisionedThroughput']) ?? {
            ReadCapacityUnits: 5,
            WriteCapacityUnits: 5,
          });
    const index = <T extends GlobalSecondaryIndex | LocalSecondaryIndex>(
      raw: unknown,
      global: boolean
    ): T => {
      const item = raw as Record<string, unknown>;
      return {
        IndexName: item.IndexName,
        KeySchema: item.KeySchema,
        Projection: item.Projection,
        ...(global && !onDemand
          ? { ProvisionedThroughput: throughput(item.ProvisionedThroughput) }
          : {}),
      } as T;
    };
    const stream = props.StreamSpecification as { StreamViewType?: string } | undefined;
    if (props.KeySchema === undefined || props.AttributeDefinitions === undefined) {
      throw new ProvisionError(
        logicalId,
        'AWS::DynamoDB::Table',
        'KeySchema and AttributeDefinitions are required'
      );
    }
    const globalIndexes = arrayProp(props.GlobalSecondaryIndexes);
    const localIndexes = arrayProp(props.LocalSecondaryIndexes);
    return {
      TableName: name,
      AttributeDefinitions: props.AttributeDefinitions as AttributeDefinition[],
      KeySchema: props.KeySchema as KeySchemaElement[],
      BillingMode: onDemand ? 'PAY_PER_REQUEST' : 'PROVISIONED',
      ProvisionedThroughput: throughput(props.ProvisionedThroughput),
      GlobalSecondaryIndexes:
        globalIndexes.length > 0
          ? globalIndexes.map((item) => index<GlobalSecondaryIndex>(item, true))
          : undefined,
      LocalSecondaryIndexes:
        localIndexes.length > 0
          ? localIndexes.map((item) => index<LocalSecondaryIndex>(item, false))
          : undefined,
      StreamSpecification: stream?.StreamViewType
        ? { StreamEnabled: true, StreamViewType: stream.StreamViewType as 'NEW_IMAGE' }
        : undefined,
    };
  }

  private async timeToLive(logicalId: string, tableName: string, spec: unknown): Promise<void> {
    const ttl = spec as { AttributeName?: string; Enabled?: unknown } | undefined;
    if (!ttl?.AttributeName || !isTrue(ttl.Enabled)) return;
    try {
      await this.clients.dynamodb.send(
        new UpdateTimeToLiveCommand({
          TableName: tableName,
          TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true },
        })
      );
    } catch (error) {
      if (/already enabled/i.test((error as Error).message)) return;
      // dynalite has no UpdateTimeToLive: items stay until deleted; readers that honour
      // expiry (Powertools idempotency) check the attribute themselves.
      this.notes.add(
        `TTL on ${logicalId} (${ttl.AttributeName}) is not supported by this DynamoDB emulator: expired items are not deleted locally`
      );
    }
  }

  // ---- Lambda --------------------------------------------------------------------------------

  private async function(logicalId: string, resource: TemplateResource): Promise<void> {
    const props = this.properties(logicalId, resource);
    const name =
      stringProp(props.FunctionName) ?? this.physicalName(logicalId, NAME_LIMITS.function);
    const runtime = String(props.Runtime ?? '');
    if (!runtime.startsWith('nodejs')) {
      throw new ProvisionError(
        logicalId,
        resource.Type,
        `runtime "${runtime}" is not supported locally: the local runtime hosts Node.js functions only`
      );
    }
    if (props.Layers !== undefined) {
      this.warnings.push(
        `${logicalId}: Lambda layers are not loaded locally; the bundle must be self-contained`
      );
    }
    const bundle = functionBundle(this.stack, logicalId, resource);
    const variables =
      (props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    const environment = Object.fromEntries(
      Object.entries(variables).map(([key, value]) => [key, String(value)])
    );
    const reserved = props.ReservedConcurrentExecutions;
    this.functions.push({
      logicalId,
      functionName: name,
      bundleDir: bundle.directory,
      handler: String(props.Handler ?? 'index.handler'),
      runtime,
      environment,
      timeoutSeconds: numberProp(props.Timeout) ?? LAMBDA_DEFAULTS.timeoutSeconds,
      memorySizeMb: numberProp(props.MemorySize) ?? LAMBDA_DEFAULTS.memorySizeMb,
      ...(reserved !== undefined ? { reservedConcurrency: Number(reserved) } : {}),
    });
    const arn = this.arn('lambda', `function:${name}`);
    this.set(logicalId, resource.Type, name, { Arn: arn });
    this.created(logicalId, resource.Type, name);
  }

  private async eventSourceMapping(logicalId: string, resource: TemplateResource): Promise<void> {
    const props = this.properties(logicalId, resource);
    const uuid = stableUuid(`${this.stackName}/${logicalId}`);
    this.mappingResources.push([logicalId, props]);
    this.set(logicalId, resource.Type, uuid, {
      Id: uuid,
      EventSourceMappingArn: this.arn('lambda', `event-source-mapping:${uuid}`),
    });
    this.created(logicalId, resource.Type, uuid);
  }

  private mapping(logicalId: string, props: Record<string, unknown>): LocalEventSourceMapping[] {
    const sourceArn = String(props.EventSourceArn ?? '');
    const queue = [...this.physical.values()].find(
      (record) => record.type === 'AWS::SQS::Queue' && record.attributes.Arn === sourceArn
    );
    if (!queue) {
      this.warnings.push(
        `${logicalId}: event source ${sourceArn || '(none)'} is not an SQS queue of this stack; only SQS event sources run locally`
      );
      return [];
    }
    const fn = this.functionNamed(String(props.FunctionName ?? ''));
    if (!fn) {
      throw new IntrinsicError(
        { logicalId, path: 'Properties.FunctionName' },
        `"${String(props.FunctionName)}" is not a function of this stack`
      );
    }
    if (props.FilterCriteria !== undefined) {
      this.warnings.push(
        `${logicalId}: FilterCriteria is not applied locally; every message reaches the function`
      );
    }
    const scaling = props.ScalingConfig as { MaximumConcurrency?: unknown } | undefined;
    const maximumConcurrency = numberProp(scaling?.MaximumConcurrency);
    return [
      {
        logicalId,
        functionLogicalId: fn.logicalId,
        queueUrl: String(queue.ref),
        queueArn: sourceArn,
        batchSize: numberProp(props.BatchSize) ?? LAMBDA_DEFAULTS.sqsBatchSize,
        maximumBatchingWindowSeconds: numberProp(props.MaximumBatchingWindowInSeconds) ?? 0,
        ...(maximumConcurrency !== undefined ? { maximumConcurrency } : {}),
        reportBatchItemFailures: arrayProp(props.FunctionResponseTypes).includes(
          'ReportBatchItemFailures'
        ),
        enabled: props.Enabled === undefined || isTrue(props.Enabled),
      },
    ];
  }

  /** The function a name, ARN or qualified ARN (`…:function:name:alias`) refers to. */
  private functionNamed(reference: string): LocalFunction | undefined {
    const match = /:function:([^:]+)/.exec(reference);
    const name = match?.[1] ?? reference.split(':')[0];
    return this.functions.find((fn) => fn.functionName === name);
  }

  // ---- API Gateway ---------------------------------------------------------------------------

  private async restApi(logicalId: string, resource: TemplateResource): Promise<void> {
    const props = this.properties(logicalId, resource);
    if (props.Body !== undefined || props.BodyS3Location !== undefined) {
      this.warnings.push(
        `${logicalId}: REST APIs defined by an OpenAPI body are not served locally; declare resources and methods instead`
      );
    }
    // API ids are 10 lowercase alphanumerics on AWS; made up from the names so they are stable.
    const apiId = shortHash(`${this.stackName}/${logicalId}`, 10);
    const rootResourceId = shortHash(`${this.stackName}/${logicalId}/`, 10);
    this.apis.push({ logicalId, apiId, rootResourceId });
    this.apiResources.set(rootResourceId, { apiId });
    this.set(logicalId, resource.Type, apiId, { RestApiId: apiId, RootResourceId: rootResourceId });
    this.created(logicalId, resource.Type, apiId);
  }

  private async apiResource(logicalId: string, resource: TemplateResource): Promise<void> {
    const props = this.properties(logicalId, resource);
    const id = shortHash(`${this.stackName}/${logicalId}`, 10);
    this.apiResources.set(id, {
      apiId: String(props.RestApiId),
      parentId: String(props.ParentId),
      pathPart: String(props.PathPart),
    });
    this.set(logicalId, resource.Type, id, { ResourceId: id });
  }

  private async apiMethod(logicalId: string, resource: TemplateResource): Promise<void> {
    const props = this.properties(logicalId, resource);
    const integration = props.Integration as { Type?: string; Uri?: unknown } | undefined;
    this.apiMethods.push({
      logicalId,
      apiId: String(props.RestApiId),
      resourceId: String(props.ResourceId),
      httpMethod: String(props.HttpMethod),
      authorizationType: String(props.AuthorizationType ?? 'NONE'),
      integrationType: integration?.Type,
      integrationUri: typeof integration?.Uri === 'string' ? integration.Uri : undefined,
    });
    this.set(logicalId, resource.Type, shortHash(`${this.stackName}/${logicalId}`, 10));
  }

  private async apiDeployment(logicalId: string, resource: TemplateResource): Promise<void> {
    const props = this.properties(logicalId, resource);
    const id = shortHash(`${this.stackName}/${logicalId}`, 10);
    if (typeof props.StageName === 'string') {
      this.apiStages.push({ apiId: String(props.RestApiId), stageName: props.StageName });
    }
    this.set(logicalId, resource.Type, id, { DeploymentId: id });
  }

  private async apiStage(logicalId: string, resource: TemplateResource): Promise<void> {
    const props = this.properties(logicalId, resource);
    const stageName = String(props.StageName);
    this.apiStages.push({ apiId: String(props.RestApiId), stageName });
    if (props.MethodSettings !== undefined) {
      this.notes.add('API Gateway stage throttling and method settings are not enforced locally');
    }
    this.set(logicalId, resource.Type, stageName);
  }

  private async gatewayResponse(logicalId: string, resource: TemplateResource): Promise<void> {
    const props = this.properties(logicalId, resource);
    const responseType = String(props.ResponseType);
    const responseHeaders: Record<string, string> = {};
    for (const [key, value] of Object.entries(recordProp(props.ResponseParameters))) {
      const name = /^gatewayresponse\.header\.(.+)$/.exec(key)?.[1];
      if (name === undefined) {
        this.warnings.push(`${logicalId}: response parameter ${key} is not applied locally`);
      } else responseHeaders[name] = String(value);
    }
    const responseTemplates: Record<string, string> = {};
    for (const [contentType, template] of Object.entries(recordProp(props.ResponseTemplates))) {
      responseTemplates[contentType] = String(template);
    }
    const statusCode = numberProp(props.StatusCode);
    this.gatewayResponses.push({
      apiId: String(props.RestApiId),
      response: {
        responseType,
        ...(statusCode === undefined ? {} : { statusCode }),
        responseHeaders,
        responseTemplates,
      },
    });
    this.set(logicalId, resource.Type, shortHash(`${this.stackName}/${logicalId}`, 10));
  }

  private restApis(): LocalRestApi[] {
    return this.apis.map((api) => {
      const stages = this.apiStages.filter((stage) => stage.apiId === api.apiId);
      const stage = stages[0];
      if (!stage) {
        throw new ProvisionError(
          api.logicalId,
          'AWS::ApiGateway::RestApi',
          'the REST API has no stage, so it has no URL to serve'
        );
      }
      if (stages.length > 1) {
        this.warnings.push(
          `${api.logicalId}: only stage "${stage.stageName}" is served locally (also declared: ${stages
            .slice(1)
            .map((s) => s.stageName)
            .join(', ')})`
        );
      }
      const routes: LocalRoute[] = [];
      for (const method of this.apiMethods.filter((m) => m.apiId === api.apiId)) {
        const route = this.route(method);
        if (route) routes.push(route);
      }
      const gatewayResponses: Record<string, LocalGatewayResponse> = {};
      for (const { apiId, response } of this.gatewayResponses) {
        if (apiId === api.apiId) gatewayResponses[response.responseType] = response;
      }
      return {
        logicalId: api.logicalId,
        apiId: api.apiId,
        stageName: stage.stageName,
        routes,
        ...(Object.keys(gatewayResponses).length === 0 ? {} : { gatewayResponses }),
      };
    });
  }

  private route(method: ApiMethodRecord): LocalRoute | undefined {
    if (method.integrationType !== 'AWS_PROXY') {
      this.warnings.push(
        `${method.logicalId}: ${method.httpMethod} uses a ${method.integrationType ?? 'missing'} integration; only Lambda proxy (AWS_PROXY) integrations are served locally`
      );
      return undefined;
    }
    const fn = this.functions.find((f) =>
      method.integrationUri?.includes(
        `/functions/${this.arn('lambda', `function:${f.functionName}`)}/`
      )
    );
    if (!fn) {
      throw new IntrinsicError(
        { logicalId: method.logicalId, path: 'Properties.Integration.Uri' },
        `the integration does not invoke a function of this stack (${method.integrationUri})`
      );
    }
    if (method.authorizationType !== 'AWS_IAM' && method.authorizationType !== 'NONE') {
      this.warnings.push(
        `${method.logicalId}: authorization type ${method.authorizationType} is not supported locally`
      );
    }
    return {
      httpMethod: method.httpMethod,
      resourcePath: this.resourcePath(method.resourceId, method.logicalId),
      authorizationType: method.authorizationType,
      functionLogicalId: fn.logicalId,
    };
  }

  private resourcePath(resourceId: string, logicalId: string): string {
    const parts: string[] = [];
    let current = this.apiResources.get(resourceId);
    while (current?.pathPart !== undefined) {
      parts.unshift(current.pathPart);
      current = current.parentId ? this.apiResources.get(current.parentId) : undefined;
    }
    if (!current) {
      throw new IntrinsicError(
        { logicalId, path: 'Properties.ResourceId' },
        `resource ${resourceId} is not part of a REST API of this stack`
      );
    }
    return `/${parts.join('/')}`;
  }

  // ---- resources not run ---------------------------------------------------------------------

  private skip(logicalId: string, resource: TemplateResource): void {
    const type = resource.Type;
    this.skipped.push({ logicalId, type });
    if (
      !NOT_RUN_TYPES.some(
        (prefix) => type === prefix || (prefix.endsWith('::') && type.startsWith(prefix))
      )
    ) {
      this.warnings.push(
        `${logicalId}: ${type} is not emulated locally; anything that uses it will fail`
      );
    }
    const props = resource.Properties ?? {};
    const named = [
      'RoleName',
      'PolicyName',
      'LogGroupName',
      'AlarmName',
      'DashboardName',
      'AliasName',
      'ManagedPolicyName',
    ]
      .map((key) => props[key])
      .find((value): value is string => typeof value === 'string');
    const [ref, attributes] = this.skippedIdentity(
      logicalId,
      type,
      named ?? this.physicalName(logicalId, 64)
    );
    this.set(logicalId, type, ref, attributes);
  }

  /** Made-up `Ref` and attributes of a resource not run, for the resources that refer to it. */
  private skippedIdentity(
    logicalId: string,
    type: string,
    name: string
  ): [string, Record<string, unknown>] {
    switch (type) {
      case 'AWS::IAM::Role':
        return [
          name,
          { Arn: this.arn('iam', `role/${name}`, ''), RoleId: shortHash(name, 21).toUpperCase() },
        ];
      case 'AWS::IAM::ManagedPolicy': {
        const arn = this.arn('iam', `policy/${name}`, '');
        return [arn, { PolicyArn: arn }];
      }
      case 'AWS::KMS::Key': {
        const keyId = stableUuid(`${this.stackName}/${logicalId}`);
        return [keyId, { Arn: this.arn('kms', `key/${keyId}`), KeyId: keyId }];
      }
      case 'AWS::Logs::LogGroup':
        return [name, { Arn: this.arn('logs', `log-group:${name}:*`) }];
      case 'AWS::CloudWatch::Alarm':
        return [name, { Arn: this.arn('cloudwatch', `alarm:${name}`) }];
      default: {
        const [, service = 'unknown', kind = 'resource'] = type.toLowerCase().split('::');
        return [name, { Arn: this.arn(service, `${kind}/${name}`) }];
      }
    }
  }
}

function shortHash(seed: string, length: number): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, length);
}

/** SQS's "queue exists with other attributes" error, in its JSON and query protocol forms. */
function isQueueNameExists(error: unknown): boolean {
  const { name, Code } = error as { name?: string; Code?: string };
  return /QueueNameExists|QueueAlreadyExists/.test(`${name} ${Code}`);
}

function isTrue(value: unknown): boolean {
  return value === true || value === 'true';
}

function stringProp(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function numberProp(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}

function arrayProp(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function tagMap(tags: unknown): Record<string, string> | undefined {
  const list = arrayProp(tags) as { Key?: unknown; Value?: unknown }[];
  if (list.length === 0) return undefined;
  return Object.fromEntries(list.map((tag) => [String(tag.Key), String(tag.Value)]));
}

function recordProp(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}
